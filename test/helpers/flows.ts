// The fast workflow test layer (test/flows/): the run's Temporal dev server through
// TestWorkflowEnvironment, a real worker on a task queue of its own running the prebuilt workflow
// bundle, and every activity stubbed in memory (test/helpers/stub-activities.ts). No database, no
// API, no simulators: the workflows are driven through their signals, updates and queries.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import {
  DEFAULT_POLICY,
  newLedgerLine,
  type OrderInput,
  type OrderState,
  type PaymentMethod,
  type Policy,
  type ShipmentView,
  type TrackingEventType,
} from '../../domain';
import {
  FAILURE,
  holdsParcels as ordersHoldParcels,
  ORDER_WORKFLOW,
  orderState,
  lifecycleVersionOf,
  orderWorkflowId,
  parcelTracking,
  paymentNotified,
  shipmentState,
  shipmentWorkflowId,
  trackingReceived,
} from '../../contract';
import type { orderWorkflow } from '../../workflows/order';
import { createStubActivities, type Behaviour, type StubActivities } from './stub-activities';
import { installQuietRuntime } from './quiet-runtime';

installQuietRuntime();

export interface FlowEnv {
  client: Client;
  taskQueue: string;
  stubs: StubActivities;
  /** Starts an order workflow with a unique id (see orderInput for the defaults). */
  startOrder(opts?: OrderOptions): Promise<Order>;
}

export interface OrderOptions {
  paymentMethod?: PaymentMethod;
  /** Lines as SKU and quantity (unit price 10000 unless given); the SKUs are made unique per order. */
  lines?: Array<{ sku?: string; quantity: number; unitPrice?: number }>;
  /** Units on the shelf per line (default: exactly what the line needs). */
  stock?: number[];
  policy?: Partial<Policy>;
  /** How the stubbed outside world answers this order (set before it starts). */
  behaviour?: Behaviour;
  /** The order workflow type (default the one new orders start, ORDER_WORKFLOW; contract/versions.ts). */
  workflowType?: string;
}

export interface Order {
  id: string;
  input: OrderInput;
  handle: WorkflowHandle<typeof orderWorkflow>;
  /** The line SKUs, as made unique for this order. */
  skus: string[];
  state(): Promise<OrderState>;
  /** Polls the state query until `done` holds. */
  until(done: (s: OrderState) => boolean, what: string): Promise<OrderState>;
  /** Sends a wallet's payment.succeeded notification for the order's payment (or another). */
  pay(amount?: number, paymentId?: string): Promise<void>;
  /** Sends a courier's tracking event to shipment `seq` of the order. */
  track(seq: number, type: TrackingEventType, extra?: Record<string, unknown>): Promise<void>;
  /** Awaits shipment `seq` booked (it has a tracking number). */
  booked(seq?: number): Promise<OrderState>;
}

/** An order of two units with one on the shelf, whose 1 s stock decision defaults to `partial`. */
export const shortOrderOptions = (workflowType: string): OrderOptions => ({
  lines: [{ quantity: 2 }],
  stock: [1],
  policy: { stockDecisionSeconds: 1, stockDecisionDefault: 'partial' },
  workflowType,
});

/** Windows long enough never to end inside a test unless a test shortens one. */
export const LONG = 600;

/** Policy of a test order: every window long, the merchant accepts by hand, couriers booked at once. */
export const basePolicy = (overrides: Partial<Policy> = {}): Policy => ({
  ...DEFAULT_POLICY,
  paymentWindowSeconds: LONG,
  merchantSlaSeconds: LONG,
  autoConfirmSeconds: LONG,
  receiptExtensionSeconds: LONG,
  returnWindowSeconds: LONG,
  stockDecisionSeconds: LONG,
  afterSalesDecisionSeconds: LONG,
  returnShipSeconds: LONG,
  inspectionSeconds: LONG,
  afterSalesAutoApproveAmount: 0,
  afterSalesAutoApproveNoReason: false,
  autoAccept: true,
  ...overrides,
});

/**
 * The environment of one test file: created before its tests, torn down after them (every workflow
 * still running is terminated first). Read the fields inside hooks and tests.
 */
export function useFlowEnv(): FlowEnv {
  const env = {} as FlowEnv;
  let testEnv: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const started: string[] = [];

  beforeAll(async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    const codePath = process.env.TEST_WORKFLOW_BUNDLE;
    if (!address || !codePath)
      throw new Error(
        'TEST_TEMPORAL_ADDRESS / TEST_WORKFLOW_BUNDLE unset: run through jest (test/setup/global-setup.ts)',
      );
    testEnv = await TestWorkflowEnvironment.createFromExistingServer({ address });
    const stubs = createStubActivities();
    const taskQueue = `flows-${randomUUID()}`;
    worker = await Worker.create({
      connection: testEnv.nativeConnection,
      taskQueue,
      workflowBundle: { codePath },
      activities: stubs.activities,
    });
    running = worker.run();
    Object.assign(env, {
      client: testEnv.client,
      taskQueue,
      stubs,
      startOrder: async (opts: OrderOptions = {}) => {
        const order = await startOrder(testEnv.client, taskQueue, stubs, opts);
        started.push(order.handle.workflowId);
        return order;
      },
    });
  });

  afterAll(async () => {
    await Promise.all(
      started.map(async (id) => {
        try {
          await testEnv.client.workflow.getHandle(id).terminate('test finished');
        } catch {
          // already closed
        }
      }),
    );
    if (worker) {
      worker.shutdown();
      await running;
    }
    await testEnv?.teardown();
  });
  return env;
}

let orderNo = 0;

async function startOrder(
  client: Client,
  taskQueue: string,
  stubs: StubActivities,
  opts: OrderOptions,
): Promise<Order> {
  const id = `flow-${Date.now().toString(36)}-${++orderNo}-${randomUUID().slice(0, 6)}`;
  const paymentMethod = opts.paymentMethod ?? 'card';
  const lineSpecs = opts.lines ?? [{ quantity: 1 }];
  const skus = lineSpecs.map((l, i) => `${l.sku ?? `SKU-${i + 1}`}-${id}`);
  const lines = lineSpecs.map((l, i) =>
    newLedgerLine(i + 1, skus[i], `Item ${i + 1}`, l.unitPrice ?? 10000, l.quantity),
  );
  lineSpecs.forEach((l, i) => stubs.stock(skus[i], opts.stock?.[i] ?? l.quantity));
  if (opts.behaviour) stubs.behave(id, opts.behaviour);
  const subtotal = lines.reduce((t, l) => t + l.unitPrice * l.quantity, 0);
  const input: OrderInput = {
    orderId: id,
    merchantId: 'merchant-flows',
    channel: 'web',
    customer: { id: `cust-${id}`, name: '张三', phone: '+86 138 0013 8000' },
    shippingAddress: {
      recipient: '张三',
      phone: '+86 138 0013 8000',
      province: '上海',
      city: '上海市',
      district: '浦东新区',
      line1: '世纪大道 100 号',
      postalCode: '200120',
    },
    lines,
    totals: { currency: 'CNY', subtotal, discount: 0, shippingFee: 0, total: subtotal },
    paymentMethod,
    cardToken: paymentMethod === 'card' ? 'tok_visa' : undefined,
    policy: basePolicy(opts.policy),
    submittedAt: new Date().toISOString(),
  };
  const handle = await client.workflow.start<typeof orderWorkflow>(opts.workflowType ?? ORDER_WORKFLOW, {
    workflowId: orderWorkflowId(id),
    taskQueue,
    args: [input],
  });
  // A closed workflow answers with its result: a query would replay its history, and a history in
  // which a query split a workflow task between a local activity and a patched() call does not replay
  // (an SDK hazard described in docs/testing.md, "Known issues").
  const state = async () =>
    (await handle.describe()).status.name === 'RUNNING' ? handle.query(orderState) : handle.result();
  const until = (done: (s: OrderState) => boolean, what: string) => eventually(state, done, `order ${id}: ${what}`);
  let eventNo = 0;
  return {
    id,
    input,
    handle,
    skus,
    state,
    until,
    pay: (amount = input.totals.total, paymentId = `pay-${id}`) =>
      handle.signal(paymentNotified, {
        eventId: `evt-${id}-${++eventNo}`,
        type: 'payment.succeeded',
        paymentId,
        amount,
        currency: 'CNY',
      }),
    track: (seq, type, extra = {}) => {
      const event = {
        eventId: `trk-${id}-${seq}-${++eventNo}`,
        type,
        occurredAt: new Date(Date.now() + eventNo).toISOString(),
        location: 'Shanghai hub',
        ...extra,
      };
      // Where the logistics webhook sends it: the order for a parcel it follows itself (version 3 on), else the shipment child.
      const shipmentId = shipmentWorkflowId(id, seq);
      return holdsParcels(opts.workflowType ?? ORDER_WORKFLOW)
        ? handle.signal(parcelTracking, { ...event, shipmentId })
        : client.workflow.getHandle(shipmentId).signal(trackingReceived, event);
    },
    booked: (seq = 1) =>
      until((s) => s.shipments.some((x) => x.seq === seq && x.trackingNumber !== undefined), `shipment ${seq} booked`),
  };
}

/** Whether orders of this workflow type follow their parcels themselves (lifecycle version 3 on, docs/decisions/100). */
export const holdsParcels = (orderWorkflowType: string) => ordersHoldParcels(lifecycleVersionOf(orderWorkflowType)!);

/**
 * Shipment `seq` of an order as its holder knows it: the shipment child's own view (versions 1 and
 * 2), or the order's view of a parcel it follows itself (version 3; its state, as the read model has it).
 */
export async function shipmentView(client: Client, orderId: string, seq = 1): Promise<ShipmentView> {
  const order = client.workflow.getHandle(orderWorkflowId(orderId));
  const { type, status } = await order.describe();
  if (!holdsParcels(type)) return client.workflow.getHandle(shipmentWorkflowId(orderId, seq)).query(shipmentState);
  const state: OrderState = status.name === 'RUNNING' ? await order.query(orderState) : await order.result();
  return state.shipments.find((s) => s.seq === seq)!;
}

/**
 * An order started, its parcel picked up and delivered; returned with its history once the timeline
 * says delivered and no workflow task is left.
 */
export async function deliveredOrder(env: FlowEnv, opts: OrderOptions) {
  const o = await env.startOrder(opts);
  await o.booked();
  await o.track(1, 'picked_up');
  await o.track(1, 'delivered', { signedBy: '张三' });
  await eventually(
    async () => env.stubs.timelineOf(o.id).at(-1)?.status,
    (status) => status === 'delivered',
    `${o.id}: delivered on the timeline`,
  );
  return { o, events: await settledHistory(o.handle) };
}

/** A workflow's history once its last workflow task has completed and nothing more is coming. */
export async function settledHistory(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  let seen = -1;
  const settled = await eventually(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const done = events.length === seen && !(await handle.describe()).raw.pendingWorkflowTask;
      seen = events.length;
      return done ? events : undefined;
    },
    (events) => events !== undefined,
    `${handle.workflowId}: history settled`,
  );
  return settled!;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Reads until `done` holds, polling every 50 ms, failing with the last value after `timeoutMs`
 * (generous: the machine is shared; the assertions never depend on how long it took).
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      lastError = undefined;
      if (done(last)) return last;
    } catch (err) {
      lastError = err; // e.g. a query before the first workflow task ran
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `${what} did not happen within ${timeoutMs} ms; last: ${lastError ? String(lastError as Error) : JSON.stringify(summary(last))}`,
  );
}

function summary(value: unknown) {
  const s = value as Partial<OrderState> | undefined;
  if (!s || typeof s !== 'object' || !('orderId' in s)) return value;
  return {
    status: s.status,
    pendingDecision: s.pendingDecision,
    shipments: s.shipments,
    payments: s.payments,
    flags: s.flags,
    cancellation: s.cancellation,
    version: s.version,
  };
}

/**
 * How an Update was refused, as the API maps it (api/temporal.ts): InvalidRequest is 422, anything
 * else a validator or handler throws (a plain Error, NotAllowedInState) is 409.
 */
export interface Refusal {
  http: 409 | 422;
  type: string | undefined;
  message: string;
  details?: unknown;
}

export async function refusal(update: Promise<unknown>): Promise<Refusal> {
  try {
    await update;
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
    return {
      http: type === FAILURE.invalid ? 422 : 409,
      type,
      message: cause?.message ?? err.message,
      details: cause instanceof ApplicationFailure ? cause.details?.[0] : undefined,
    };
  }
  throw new Error('expected the update to be refused, but it was accepted');
}

/** Waits out a span of real time: only to show that something did NOT happen before a deadline. */
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
