// docs/security.md: PII is encrypted in every Temporal payload (AES-256-GCM, key id in metadata). The stored
// histories are read WITHOUT the codec, as the Temporal server and anyone with access to it see them.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { PayloadKeys } from '../../config';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, encryptedDataConverter } from '../../platform/codec';
import {
  auth,
  keyed,
  deliverAll,
  KEYS,
  orderBody,
  startStack,
  submitOrder,
  waitForOrder,
  waitForStatus,
  type Stack,
} from '../helpers/stack';

/** Every string and byte string anywhere in a history, as raw bytes. */
function rawBytes(value: unknown, out: Buffer[] = []): Buffer[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value));
  else if (typeof value === 'string') out.push(Buffer.from(value));
  else if (Array.isArray(value)) value.forEach((v) => rawBytes(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => rawBytes(v, out));
  return out;
}

/**
 * The metadata (encoding, key id) of every payload the engine wrote into a history. Markers carry
 * the SDK core's own bookkeeping (activity type, attempt, times) next to our result: only the result
 * is ours. Search attributes are the server's index. The byte search below still covers both.
 */
function payloadMetadata(value: unknown, out: Array<Record<string, string>> = []): Array<Record<string, string>> {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return out;
  const o = value as Record<string, unknown>;
  if (typeof o.markerName === 'string')
    return payloadMetadata((o.details as Record<string, unknown> | undefined)?.result, out);
  if (o.indexedFields) return out; // search attributes (patched() versions) are indexed by the server, never encrypted
  if (o.metadata && typeof o.metadata === 'object' && 'data' in o) {
    out.push(
      Object.fromEntries(
        Object.entries(o.metadata as Record<string, Uint8Array>).map(([k, v]) => [k, Buffer.from(v).toString()]),
      ),
    );
  }
  for (const v of Array.isArray(value) ? value : Object.values(o)) payloadMetadata(v, out);
  return out;
}

const key = () => randomBytes(32);
let plain: Client;
beforeAll(async () => {
  plain = new Client({ connection: await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! }) });
});
afterAll(() => plain.connection.close());

const historyOf = async (workflowId: string) => plain.workflow.getHandle(workflowId).fetchHistory();

describe('a completed order leaves no readable PII in Temporal', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test('order and shipment histories hold only encrypted payloads, without phone, address, name, email or card token', async () => {
    const { app } = stack;
    const unique = String(Date.now()).slice(-8);
    const pii = {
      phone: `+86 139 ${unique}`,
      name: `欧阳${unique}`,
      line1: `世纪大道 ${unique} 号`,
      email: `pii-${unique}@example.com`,
      token: `tok_ok_${unique}`,
    };
    const body = orderBody({
      customer: { id: `cust-${unique}`, name: pii.name, phone: pii.phone, email: pii.email },
      shippingAddress: {
        recipient: pii.name,
        phone: pii.phone,
        province: '上海',
        city: '上海市',
        district: '浦东新区',
        line1: pii.line1,
        postalCode: '200120',
      },
      card: { token: pii.token },
    });
    const { res, body: order } = await submitOrder(app, body);
    expect(res.statusCode).toBe(201);
    await waitForStatus(app, order.id, 'fulfilling');
    await deliverAll(app, order.id);
    const confirm = await app.inject({
      method: 'POST',
      url: `/v1/orders/${order.id}/confirm-receipt`,
      headers: auth(KEYS.platform),
    });
    expect(confirm.statusCode).toBe(200);
    await waitForStatus(app, order.id, 'completed');

    // A version 3 order follows its parcel itself (docs/decisions/100): its history holds the address and the tracking.
    for (const workflowId of [`order-${order.id}`]) {
      const history = await historyOf(workflowId);
      const metadata = payloadMetadata(history);
      expect(metadata.length).toBeGreaterThan(5);
      for (const m of metadata) expect(m).toEqual({ encoding: ENCRYPTED_ENCODING, [KEY_ID_METADATA]: 'dev' });
      const bytes = Buffer.concat(rawBytes(history));
      for (const [field, value] of Object.entries(pii))
        expect({ field, found: bytes.includes(Buffer.from(value)) }).toEqual({ field, found: false });
    }

    // The same history decoded with the engine's codec does hold them: the needles are the right ones.
    const decoded = await stack.client.workflow.getHandle(`order-${order.id}`).fetchHistory();
    const input = decoded.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    const [opened] = await encryptedDataConverter(stack.config.payloadKeys).payloadCodecs![0].decode([input]);
    const text = Buffer.from(opened.data!).toString();
    for (const value of Object.values(pii)) expect(text).toContain(value);
  });
});

describe('key rotation: the new key encrypts, the old one still decrypts', () => {
  const oldKeys: PayloadKeys = { keys: new Map([['k-2025', key()]]), activeKeyId: 'k-2025' };
  const rotated: PayloadKeys = { keys: new Map([...oldKeys.keys, ['k-2026', key()]]), activeKeyId: 'k-2026' };

  test('an order started under the old key finishes under the new one, and its history replays', async () => {
    // Before rotation: the order waits for the merchant (m-manual) with everything written under k-2025.
    const before = await startStack({ payloadKeys: oldKeys });
    const { body: order } = await submitOrder(before.app, orderBody({ lines: [{ sku: 'SKU-HAND-002', quantity: 1 }] }));
    await waitForOrder(before.app, order.id, (o) => o.status === 'awaiting_merchant');
    const taskQueue = before.taskQueue;
    await before.stop();

    // After rotation: a new worker and API with both keys, k-2026 active, take over the same task queue.
    const after = await startStack({ payloadKeys: rotated, taskQueue });
    try {
      const accept = await after.app.inject({
        method: 'POST',
        url: `/v1/orders/${order.id}/merchant-decision`,
        headers: keyed(KEYS.manualMerchant),
        payload: { decision: 'accept' },
      });
      expect(accept.statusCode).toBe(200);
      // m-manual ships by hand.
      const shipped = await after.app.inject({
        method: 'POST',
        url: `/v1/orders/${order.id}/shipments`,
        headers: auth(KEYS.manualMerchant),
        payload: { courier: 'sf-express' },
      });
      expect(shipped.statusCode).toBe(201);
      await deliverAll(after.app, order.id);
      const done = await after.app.inject({
        method: 'POST',
        url: `/v1/orders/${order.id}/confirm-receipt`,
        headers: auth(KEYS.platform),
      });
      expect(done.json().status).toBe('completed');

      const history = await historyOf(`order-${order.id}`);
      const keyIds = new Set(payloadMetadata(history).map((m) => m[KEY_ID_METADATA]));
      expect([...keyIds].sort()).toEqual(['k-2025', 'k-2026']);

      const bundle = { codePath: process.env.TEST_WORKFLOW_BUNDLE! };
      await Worker.runReplayHistory(
        { workflowBundle: bundle, dataConverter: encryptedDataConverter(rotated) },
        history,
        `order-${order.id}`,
      );
      // Dropping the old key too early makes the old part of the history unreadable.
      const onlyNew: PayloadKeys = { keys: new Map([['k-2026', rotated.keys.get('k-2026')!]]), activeKeyId: 'k-2026' };
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: bundle, dataConverter: encryptedDataConverter(onlyNew) },
          history,
          `order-${order.id}-new-key-only`,
        ),
      ).rejects.toThrow();
    } finally {
      await after.stop();
    }
  });
});
