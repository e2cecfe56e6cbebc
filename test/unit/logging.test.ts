// docs/security.md, logs: pino redacts PII and secrets from logs, at any depth, and keeps what operators need.
import { Writable } from 'node:stream';
import { createLogger } from '../../platform/logging';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger('info', 'test', stream), lines };
}

const PII = {
  name: '欧阳娜娜',
  phone: '+86 139 1234 5678',
  line1: '世纪大道 100 号',
  email: 'nana@example.com',
  token: 'tok_secret_card',
};

test('PII is redacted wherever it sits in the logged object', () => {
  const { log, lines } = capture();
  const customer = { id: 'c-1', name: PII.name, phone: PII.phone, email: PII.email };
  const shippingAddress = { recipient: PII.name, phone: PII.phone, line1: PII.line1, province: '上海' };
  log.info({ customer }, 'flat');
  log.info({ input: { customer, shippingAddress, cardToken: PII.token } }, 'nested');
  log.info({ order: { input: { payload: { customer, shippingAddress, card: { token: PII.token } } } } }, 'deep');
  log.info({ orders: [{ customer }, { shippingAddress }] }, 'in arrays');
  expect(lines).toHaveLength(4);
  for (const line of lines) for (const value of Object.values(PII)) expect(line).not.toContain(value);
  const deep = JSON.parse(lines[2]);
  expect(deep.order.input.payload.customer).toEqual({
    id: 'c-1',
    name: '[redacted]',
    phone: '[redacted]',
    email: '[redacted]',
  });
  expect(deep.order.input.payload.shippingAddress.province).toBe('上海');
});

test('secrets are redacted: API keys, signatures, payload keys', () => {
  const { log, lines } = capture();
  log.info({ req: { headers: { authorization: 'Bearer dev-platform-key', 'x-signature': 't=1,v1=abc' } } }, 'request');
  log.info({ headers: { authorization: 'Bearer dev-support-key' } }, 'headers');
  log.info(
    { config: { PAYLOAD_KEYS: 'dev:zOfLyGugY8DGMfin', API_KEYS: '[{"sha256":"..."}]', secret: 'dev-secret-card' } },
    'config',
  );
  const text = lines.join('\n');
  for (const secret of [
    'dev-platform-key',
    'dev-support-key',
    'v1=abc',
    'zOfLyGugY8DGMfin',
    'dev-secret-card',
    'sha256',
  ])
    expect(text).not.toContain(secret);
});

test('operational fields stay: ids, statuses, error names and messages, the logger name', () => {
  const { log, lines } = capture();
  log.error({ orderId: 'ord_1', workflowId: 'order-ord_1', status: 'paid', err: new TypeError('boom') }, 'failed');
  const entry = JSON.parse(lines[0]);
  expect(entry).toMatchObject({
    name: 'test',
    orderId: 'ord_1',
    workflowId: 'order-ord_1',
    status: 'paid',
    msg: 'failed',
    err: { type: 'TypeError', message: 'boom' },
  });
});
