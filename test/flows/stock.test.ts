// Stock shortage (docs/fulfilment.md): the customer's decision window, its default, the validators,
// partial delivery, substitutes and the backorder wait. Activities stubbed (test/helpers/flows.ts).
import type { StockDecision } from '../../domain';
import { decideStock, stockReplenished } from '../../contract';
import { refusal, useFlowEnv, type Order } from '../helpers/flows';

const env = useFlowEnv();
const types = (orderId: string) => env.stubs.timelineOf(orderId).map((e) => e.type);
const short = (o: Order) => o.until((s) => s.status === 'awaiting_stock_decision', 'awaiting a stock decision');
const decide = (o: Order, d: StockDecision) => o.handle.executeUpdate(decideStock, { args: [d] });

describe('a shortage', () => {
  it('asks the customer; the window ends unanswered and the default (cancel) unwinds the order', async () => {
    const o = await env.startOrder({ lines: [{ quantity: 2 }], stock: [1], policy: { stockDecisionSeconds: 2 } });
    const s = await o.until((x) => x.status === 'cancelled', 'cancelled by the window');
    // What the order asked meanwhile, from its timeline (a 2 s window may be over before a poll sees it).
    expect(env.stubs.timelineOf(o.id).find((e) => e.type === 'stock.short')).toMatchObject({
      status: 'awaiting_stock_decision',
      detail: { short: [{ lineNo: 1, sku: o.skus[0], quantity: 1 }] },
    });
    expect(env.stubs.callsFor(o.id, 'notify').map((c) => c.args[0])).toEqual([
      expect.objectContaining({ recipientType: 'customer', kind: 'stock.short' }),
    ]);
    expect(s.cancellation).toEqual({
      reason: `out of stock: 1 × ${o.skus[0]} (no decision within the window)`,
      actor: 'policy:stock-decision-window',
    });
    expect(s.payments[0]).toMatchObject({ status: 'voided', voided: 20000 });
    expect(env.stubs.available(o.skus[0])).toBe(1);
    expect(types(o.id).slice(-3)).toEqual(['stock.short', 'payment.released', 'order.cancelled']);
  });

  it("with the policy default 'partial' the window ends in a partial order: the short units are released from the card", async () => {
    const o = await env.startOrder({
      lines: [{ quantity: 3 }],
      stock: [2],
      policy: { stockDecisionSeconds: 1, stockDecisionDefault: 'partial' },
    });
    const s = await o.until((x) => x.shipments.length === 1, 'fulfilling the available units');
    expect(s.lines[0]).toMatchObject({ quantity: 3, allocated: 2, refunded: 1 });
    expect(s.shortage).toBeUndefined();
    expect(s.payments[0]).toMatchObject({ status: 'authorized', voided: 10000 });
    expect(s.shipments[0].lines).toEqual([{ lineNo: 1, sku: o.skus[0], quantity: 2 }]);
    expect(env.stubs.callsFor(o.id, 'refundPayment')[0].args[0]).toMatchObject({
      amount: 10000,
      idempotencyKey: `${o.id}:refund-shortage:1`,
    });
    expect(env.stubs.timelineOf(o.id).find((e) => e.type === 'stock.decided')).toMatchObject({
      actor: 'policy:stock-decision-window',
      detail: { decision: 'partial' },
    });
  });

  it('validators refuse decisions that cannot apply (422, naming the field) and leave the order as it was', async () => {
    const o = await env.startOrder({ lines: [{ quantity: 1 }, { quantity: 1 }], stock: [0, 1] });
    const asked = await short(o);
    expect(asked.shortage).toEqual([{ lineNo: 1, sku: o.skus[0], quantity: 1 }]);
    const sub = (lineNo: number, sku: string) => ({
      decision: 'substitute' as const,
      substitutions: [{ lineNo, sku, name: 'Other', unitPrice: 9000 }],
      actor: 'customer',
    });

    const notShort = await refusal(decide(o, sub(2, 'SKU-OTHER')));
    expect(notShort).toMatchObject({ http: 422, type: 'InvalidRequest' });
    expect(notShort.details).toEqual(
      expect.arrayContaining([
        { field: 'substitutions.0.lineNo', message: 'line 2 is not short' },
        { field: 'substitutions', message: 'line 1 is short; name a substitute for it' },
      ]),
    );
    const same = await refusal(decide(o, sub(1, o.skus[0])));
    expect(same.details).toEqual([{ field: 'substitutions.0.sku', message: 'a substitute must be another SKU' }]);
    const onOrder = await refusal(decide(o, sub(1, o.skus[1])));
    expect(onOrder.details).toEqual([
      { field: 'substitutions.0.sku', message: `sku ${o.skus[1]} is already on the order` },
    ]);

    const after = await o.state();
    expect(after).toMatchObject({
      status: 'awaiting_stock_decision',
      version: asked.version,
      shortage: asked.shortage,
    });
    expect(env.stubs.callsFor(o.id, 'refundPayment')).toHaveLength(0);
  });

  it("'partial' is refused when nothing at all is in stock; 'wait_for_restock' backorders, and a restock resumes the order", async () => {
    const o = await env.startOrder({ lines: [{ quantity: 2 }], stock: [0] });
    const asked = await short(o);
    const partial = await refusal(decide(o, { decision: 'partial', actor: 'customer' }));
    expect(partial).toMatchObject({
      http: 422,
      details: [
        { field: 'decision', message: 'nothing is in stock to ship; choose cancel, wait_for_restock or substitute' },
      ],
    });
    expect((await o.state()).version).toBe(asked.version);

    const answer = await decide(o, { decision: 'wait_for_restock', actor: 'customer' });
    expect(answer.status).toBe('backordered');
    expect(answer.shortage).toEqual([{ lineNo: 1, sku: o.skus[0], quantity: 2 }]);
    const again = await refusal(decide(o, { decision: 'cancel', actor: 'customer' }));
    expect(again).toMatchObject({ http: 409, message: 'order is backordered, not awaiting a stock decision' });

    env.stubs.stock(o.skus[0], 2);
    await o.handle.signal(stockReplenished, { sku: o.skus[0] });
    const s = await o.until((x) => x.shipments.length === 1, 'restocked and shipping');
    expect(s.lines[0]).toMatchObject({ allocated: 2, refunded: 0 });
    expect(s.shortage).toBeUndefined();
    expect(types(o.id)).toEqual(
      expect.arrayContaining(['stock.short', 'stock.backordered', 'stock.restocked', 'merchant.accepted']),
    );
    expect(env.stubs.callsFor(o.id, 'backorderStock').length).toBeGreaterThanOrEqual(2);
  });

  it('a cheaper substitute: a new line replaces the short one, the difference is released, the order goes on', async () => {
    const o = await env.startOrder({ lines: [{ quantity: 2, unitPrice: 10000 }], stock: [0] });
    await short(o);
    const subSku = `SUB-${o.id}`;
    env.stubs.stock(subSku, 2);
    const answer = await decide(o, {
      decision: 'substitute',
      substitutions: [{ lineNo: 1, sku: subSku, name: 'Substitute', unitPrice: 8000 }],
      actor: 'customer',
    });
    expect(answer.status).not.toBe('awaiting_stock_decision');
    const s = await o.until((x) => x.shipments.length === 1, 'shipping the substitute');
    expect(s.lines).toEqual([
      expect.objectContaining({ lineNo: 1, substituted: 2, allocated: 0 }),
      expect.objectContaining({ lineNo: 2, sku: subSku, substituteFor: 1, quantity: 2, unitPrice: 8000, allocated: 2 }),
    ]);
    expect(s.totals.total).toBe(16000);
    expect(s.payments[0]).toMatchObject({ status: 'authorized', voided: 4000 });
    expect(env.stubs.callsFor(o.id, 'refundPayment')[0].args[0]).toMatchObject({
      amount: 4000,
      reason: 'cheaper substitute',
    });
  });

  it('a stock decision on an order that is not short is refused (409) without a change', async () => {
    const o = await env.startOrder({ policy: { autoAccept: false } });
    const s = await o.until((x) => x.status === 'awaiting_merchant', 'awaiting the merchant');
    const bad = await refusal(decide(o, { decision: 'cancel', actor: 'customer' }));
    expect(bad).toMatchObject({ http: 409, message: 'order is awaiting_merchant, not awaiting a stock decision' });
    expect((await o.state()).version).toBe(s.version);
  });
});
