// Helpers of the after-sales tests on the real stack: a delivered order, requests through the API,
// the return parcel and the outbound parcel driven by signed courier webhooks.
import { eventually, expectOk, send } from '../api/api-helpers';
import { createSku } from './catalog';
import { deliverAll, KEYS, orderBody, postTracking, submitOrder, waitForOrder, type Stack } from './stack';

/** Windows long enough never to end inside a test, unless a test shortens one. */
export const WINDOWS = {
  returnWindowSeconds: 600,
  autoConfirmSeconds: 600,
  afterSalesDecisionSeconds: 600,
  returnShipSeconds: 600,
  inspectionSeconds: 600,
};

export function afterSalesHelpers(stack: Stack) {
  const request = (orderId: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    send(stack.app, 'POST', `/v1/orders/${orderId}/after-sales`, KEYS.platform, payload, headers);
  const getRequest = async (id: string, key: string = KEYS.support) =>
    expectOk(await send(stack.app, 'GET', `/v1/after-sales/${id}`, key));
  const waitForRequest = (id: string, done: (r: any) => boolean, what = `request ${id}`) =>
    eventually(() => getRequest(id), done, what);
  const waitForRequestStatus = (id: string, status: string) =>
    waitForRequest(id, (r) => r.status === status, `request ${id} ${status}`);
  const inspect = (id: string, payload: Record<string, unknown>, key: string = KEYS.merchant) =>
    send(stack.app, 'POST', `/v1/after-sales/${id}/inspection`, key, payload);

  return {
    request,
    getRequest,
    waitForRequest,
    waitForRequestStatus,
    inspect,

    /**
     * An order of `quantity` units of a SKU of its own, delivered; `stock` is what the SKU had before;
     * `body` overrides the order (a cash-on-delivery order is collected at the door).
     */
    async deliveredOrder(
      opts: {
        price?: number;
        quantity?: number;
        stock?: number;
        merchantId?: string;
        policy?: Record<string, number>;
        body?: Record<string, unknown>;
      } = {},
    ) {
      const sku = await createSku(stack.db, {
        merchantId: opts.merchantId,
        price: opts.price ?? 10000,
        stock: { 'wh-shanghai': opts.stock ?? 5 },
      });
      const { body } = await submitOrder(
        stack.app,
        orderBody({
          lines: [{ sku, quantity: opts.quantity ?? 2 }],
          policy: { ...WINDOWS, ...opts.policy },
          ...opts.body,
        }),
      );
      const order = await deliverAll(stack.app, body.id, () =>
        opts.body?.paymentMethod === 'cod' ? { codCollected: { amount: body.totals.total, currency: 'CNY' } } : {},
      );
      return { sku, orderId: body.id as string, total: body.totals.total as number, order };
    },

    /** The customer hands the parcel to the courier and it reaches the warehouse (signed courier webhooks). */
    async shipBack(id: string) {
      const r = await waitForRequestStatus(id, 'awaiting_return');
      const parcel = r.shipments.find((s: any) => s.direction === 'return');
      for (const type of ['picked_up', 'in_transit', 'delivered'] as const)
        expectOk(await postTracking(stack.app, parcel.courier, { trackingNumber: parcel.trackingNumber, type }));
      return waitForRequestStatus(id, 'awaiting_inspection');
    },

    /** Drives the outbound parcel of a request (replacement or repaired goods) to the customer's door. */
    async deliverOutbound(id: string) {
      const r = await waitForRequest(
        id,
        (x) => x.shipments.some((s: any) => s.direction === 'outbound' && s.trackingNumber),
        `request ${id} outbound parcel booked`,
      );
      const parcel = r.shipments.find((s: any) => s.direction === 'outbound');
      for (const type of ['picked_up', 'delivered'] as const)
        expectOk(
          await postTracking(stack.app, parcel.courier, {
            trackingNumber: parcel.trackingNumber,
            type,
            signedBy: '张三',
          }),
        );
      return waitForRequestStatus(id, 'completed');
    },

    /** The order's timeline (business lines) as GET /v1/orders/{id} shows it. */
    timelineOf: async (orderId: string) =>
      (await waitForOrder(stack.app, orderId, () => true)).timeline as Array<{
        type: string;
        actor: string;
        detail: any;
      }>,
  };
}
