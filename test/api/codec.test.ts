// The codec endpoint (Temporal's remote codec protocol) for Temporal's Web UI: support only, CORS for
// the UI's origin only, and it decodes what the engine's workers encrypt.
import { KEYS, useStack } from '../helpers/stack';
import { expectOk, expectProblem, send } from './api-helpers';

const stack = useStack({ worker: false, env: { TEMPORAL_UI_URL: 'http://temporal-ui.test:8233' } });
const UI = 'http://temporal-ui.test:8233';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const plainPayload = (value: unknown) => ({
  metadata: { encoding: b64('json/plain') },
  data: b64(JSON.stringify(value)),
});

test('encode then decode round-trips payloads in the protocol JSON form', async () => {
  const original = plainPayload({ phone: '+86 139 0000 0000' });
  const encoded = expectOk(await send(stack.app, 'POST', '/codec/encode', KEYS.support, { payloads: [original] }));
  expect(encoded.payloads).toHaveLength(1);
  expect(Buffer.from(encoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(encoded.payloads[0].data, 'base64').toString()).not.toContain('+86 139');
  const decoded = expectOk(
    await send(stack.app, 'POST', '/codec/decode', KEYS.support, { payloads: encoded.payloads }),
  );
  expect(decoded.payloads).toEqual([original]);
});

test("decodes a payload the engine stored in Temporal (the worker's encryption)", async () => {
  const [sealed] = await stack.client.options.dataConverter.payloadCodecs![0].encode([
    { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"张三"') },
  ]);
  const asJson = {
    metadata: Object.fromEntries(
      Object.entries(sealed.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(sealed.data!).toString('base64'),
  };
  const decoded = expectOk(await send(stack.app, 'POST', '/codec/decode', KEYS.support, { payloads: [asJson] }));
  expect(Buffer.from(decoded.payloads[0].data, 'base64').toString()).toBe('"张三"');
});

test.each([
  ['no key', 401, '/problems/unauthorized', undefined],
  ['the platform key', 403, '/problems/forbidden', KEYS.platform],
  ['a merchant key', 403, '/problems/forbidden', KEYS.merchant],
  ['the logistics key', 403, '/problems/forbidden', KEYS.logistics],
])('decode with %s → %i', async (_who, status, type, key) => {
  const res = await send(stack.app, 'POST', '/codec/decode', key, { payloads: [plainPayload('x')] });
  expectProblem(res, status, type);
});

test('bad input is a 400 naming the field; undecryptable payloads are 422', async () => {
  expectProblem(
    await send(stack.app, 'POST', '/codec/decode', KEYS.support, { payloads: [{ data: 'not base64!' }] }),
    400,
    '/problems/validation-error',
    ['payloads.0.data'],
  );
  expectProblem(await send(stack.app, 'POST', '/codec/decode', KEYS.support, {}), 400, '/problems/validation-error', [
    'payloads',
  ]);
  const forged = {
    metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('dev') },
    data: b64('x'.repeat(40)),
  };
  expectProblem(
    await send(stack.app, 'POST', '/codec/decode', KEYS.support, { payloads: [forged] }),
    422,
    '/problems/unprocessable',
  );
});

describe("CORS for Temporal's Web UI", () => {
  test('a preflight from the UI origin is allowed with the headers the UI sends', async () => {
    const res = await stack.app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'x-namespace']),
    );
  });

  test('a preflight from another origin gets no CORS grant', async () => {
    const res = await stack.app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('answers to the UI origin carry the grant, refusals included; other origins get none', async () => {
    const ok = await send(
      stack.app,
      'POST',
      '/codec/decode',
      KEYS.support,
      { payloads: [] },
      { origin: UI, 'x-namespace': 'default' },
    );
    expect(expectOk(ok)).toEqual({ payloads: [] });
    expect(ok.headers['access-control-allow-origin']).toBe(UI);
    const refused = await send(stack.app, 'POST', '/codec/decode', undefined, { payloads: [] }, { origin: UI });
    expectProblem(refused, 401, '/problems/unauthorized');
    expect(refused.headers['access-control-allow-origin']).toBe(UI);
    const other = await send(
      stack.app,
      'POST',
      '/codec/decode',
      KEYS.support,
      { payloads: [] },
      { origin: 'http://evil.test' },
    );
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

test('the codec endpoints are in the OpenAPI document with bearer security', async () => {
  const doc = expectOk(await stack.app.inject({ method: 'GET', url: '/openapi.json' }));
  for (const op of ['encode', 'decode']) expect(doc.paths[`/codec/${op}`].post.security).toEqual([{ bearer: [] }]);
});
