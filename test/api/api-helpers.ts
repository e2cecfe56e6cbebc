// Shared helpers of the API tests (test/api/*.test.ts): problem+json assertions, own SKUs with
// stock created through the merchant API, and polling helpers over the real engine.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { isFinalShipmentStatus, type OrderState, type ShipmentView } from '../../domain';
import { auth, KEYS } from '../helpers/stack';

type InjectResponse = Awaited<ReturnType<FastifyInstance['inject']>>;

/** A short unique id with a readable prefix, so tests never collide in the shared database. */
export const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

function bodyOf(res: InjectResponse): any {
  try {
    return res.json();
  } catch {
    return res.body;
  }
}

/**
 * Asserts an RFC 9457 answer: status, content type, stable `type`, a human detail and, when given,
 * the per-field `errors[].field` names (each must be present). Returns the parsed problem.
 */
export function expectProblem(res: InjectResponse, status: number, type: string, fields?: string[]): any {
  const body = bodyOf(res);
  // One assertion with the whole body, so a failure shows what came back.
  expect({ status: res.statusCode, body }).toMatchObject({ status, body: { type, status } });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  if (fields) {
    expect(Array.isArray(body.errors)).toBe(true);
    const named = body.errors.map((e: { field: string }) => e.field);
    expect(named).toEqual(expect.arrayContaining(fields));
    for (const e of body.errors) expect(typeof e.message).toBe('string');
  }
  return body;
}

/** Asserts a 2xx JSON answer with the given status, showing the body on failure. */
export function expectOk(res: InjectResponse, status = 200): any {
  const body = bodyOf(res);
  expect({ status: res.statusCode, body }).toMatchObject({ status });
  return body;
}

/**
 * One request. A POST or PUT carries a fresh Idempotency-Key, as a platform's client sends one with
 * every write, unless `headers` names the header: a value to send it, `undefined` to leave it out.
 */
export async function send(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  url: string,
  key: string | undefined,
  payload?: unknown,
  headers: Record<string, string | undefined> = {},
) {
  const idempotency = method !== 'GET' && !('idempotency-key' in headers) ? { 'idempotency-key': randomUUID() } : {};
  const given = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
  return app.inject({
    method,
    url,
    headers: {
      ...(key ? auth(key) : {}),
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...idempotency,
      ...given,
    },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
}

/**
 * A product of its own (unique SKU) for a merchant, with stock set per warehouse through
 * PUT /v1/inventory/{sku}: tests that count units never share the demo SKUs' stock.
 */
export async function createProduct(
  app: FastifyInstance,
  opts: { key?: string; sku?: string; priceAmount?: number; active?: boolean; stock?: Record<string, number> } = {},
): Promise<string> {
  const key = opts.key ?? KEYS.merchant;
  const sku = opts.sku ?? uid('SKU-T').toUpperCase();
  const created = await send(app, 'POST', '/v1/products', key, {
    sku,
    name: `Test product ${sku}`,
    priceAmount: opts.priceAmount ?? 1000,
    active: opts.active ?? true,
  });
  expectOk(created, 201);
  for (const [warehouseId, onHand] of Object.entries(opts.stock ?? {})) {
    expectOk(await send(app, 'PUT', `/v1/inventory/${sku}`, key, { warehouseId, onHand }), 200);
  }
  return sku;
}

/** Polls until `done` holds, failing with the last value seen (no fixed sleeps in tests). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${what} did not happen; last: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
  );
}

/** GET /v1/orders with a query (support key unless given), as parsed JSON. */
export async function listOrders(
  app: FastifyInstance,
  query: Record<string, string | number>,
  key: string = KEYS.support,
) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const res = await send(app, 'GET', `/v1/orders?${qs}`, key);
  return { res, body: bodyOf(res) };
}

/**
 * Waits until the workflow has handled every signal it received so far: a workflow task (or the
 * workflow's end) is recorded after the last signal in its history. Local activities run inside that
 * task, so whatever a signal caused (projections, captures) is written by then.
 */
export async function signalsHandled(client: Client, workflowId: string): Promise<void> {
  await eventually(
    async () => {
      const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
      const list = events ?? [];
      let lastSignal = -1;
      let lastDone = -1;
      list.forEach((e, i) => {
        if (e.workflowExecutionSignaledEventAttributes != null) lastSignal = i;
        if (e.workflowTaskCompletedEventAttributes != null || e.workflowExecutionCompletedEventAttributes != null)
          lastDone = i;
      });
      return { lastSignal, lastDone };
    },
    ({ lastSignal, lastDone }) => lastSignal >= 0 && lastDone > lastSignal,
    `workflow ${workflowId} handling its signals`,
  );
}

/** What the parcel helpers read of a shipment's row: the workflow that holds it (version 3's order), if any. */
type ShipmentRows = {
  shipment: { findUniqueOrThrow(args: { where: { id: string } }): Promise<{ holderWorkflowId: string | null }> };
};
const holderOf = async (db: ShipmentRows, shipmentId: string) =>
  (await db.shipment.findUniqueOrThrow({ where: { id: shipmentId } })).holderWorkflowId;

/**
 * A parcel that has taken its last event, as its holder sees it: its shipment workflow's result
 * (versions 1 and 2), or, for a parcel its order follows itself (version 3, docs/decisions/100: the
 * row names the order), the order's view of it once every tracking signal sent so far is handled and
 * the parcel is final.
 */
export async function parcelFinished(client: Client, db: ShipmentRows, shipmentId: string): Promise<ShipmentView> {
  const holderWorkflowId = await holderOf(db, shipmentId);
  if (!holderWorkflowId) return client.workflow.getHandle(shipmentId).result();
  await signalsHandled(client, holderWorkflowId);
  const holder = client.workflow.getHandle(holderWorkflowId);
  const view = await eventually(
    async () => (await holder.query<OrderState>('state')).shipments.find((s) => s.shipmentId === shipmentId),
    (s) => s !== undefined && isFinalShipmentStatus(s.status),
    `parcel ${shipmentId} final in ${holderWorkflowId}`,
  );
  return view!;
}

/** The workflow that hears a shipment's tracking: the order the row names (version 3), else the shipment's own. */
export const parcelHolder = async (db: ShipmentRows, shipmentId: string) =>
  (await holderOf(db, shipmentId)) ?? shipmentId;

/** A parcel as its holder sees it now: its shipment workflow's query (versions 1 and 2), or its order's (version 3). */
export async function parcelNow(client: Client, db: ShipmentRows, shipmentId: string): Promise<ShipmentView> {
  const holderWorkflowId = await holderOf(db, shipmentId);
  if (!holderWorkflowId) return client.workflow.getHandle(shipmentId).query<ShipmentView>('state');
  const state = await client.workflow.getHandle(holderWorkflowId).query<OrderState>('state');
  return state.shipments.find((s) => s.shipmentId === shipmentId)!;
}
