import { refundValueOf } from '../../domain/ledger';
import { payerFor } from '../../domain/money';
import type { ShipmentView } from '../../domain/order';
import { businessKey } from '../../domain/payments';
import { handedOver, trackShipment } from '../../domain/tracking';
import { db } from '../activities';
import { returnStock } from '../shared/shipments';
import { captureAuthorized, giveBack } from './payment';
import { PATCH } from './patches';
import { nowIso, type OrderRun } from './run';

/**
 * Applies what the shipments reported, in order: the first hand-over ships the stock and captures the
 * card, deliveries fill the ledger, an undelivered parcel is settled, cash collected at the door is booked.
 */
export async function applyProgress(run: OrderRun) {
  const { state, inbox } = run;
  while (inbox.progress.length > 0) {
    const p = inbox.progress.shift()!;
    const shipment = state.shipments.find((s) => s.seq === p.seq)!;
    const wasHandedOver = handedOver(shipment.status);
    trackShipment(shipment, p);
    if (p.deliveryAttempts) shipment.deliveryAttempts = p.deliveryAttempts;
    const forEachLine = (apply: (line: ReturnType<OrderRun['line']>, quantity: number) => void) =>
      shipment.lines.forEach((sl) => apply(run.line(sl.lineNo), sl.quantity));

    if (!wasHandedOver && handedOver(p.status)) {
      await db.shipStock({ orderId: run.orderId, warehouseId: shipment.warehouseId });
      forEachLine((l, q) => (l.shipped += q));
      await captureAuthorized(run);
    }
    if (p.status === 'delivered') forEachLine((l, q) => (l.delivered += q));
    if (p.status === 'cancelled' || p.status === 'returned_to_sender') await settleUndelivered(run, shipment);
    if (p.codCollected) await recordCod(run, shipment, p.codCollected.amount);
    const detail = {
      seq: p.seq,
      trackingNumber: p.trackingNumber,
      location: p.event?.location,
      signedBy: p.event?.signedBy,
    };
    await run.publish({ type: `shipment.${p.status}`, actor: p.event ? `courier:${p.courier}` : 'system', detail });
  }
}

/** A shipment that will never reach the customer: its stock goes back, its lines are refunded. */
async function settleUndelivered(run: OrderRun, shipment: ShipmentView) {
  const returned = shipment.status === 'returned_to_sender';
  await returnStock(run.orderId, shipment);
  // What these units were paid (docs/pricing.md): list price on an undiscounted line.
  const amount = refundValueOf(run.state.lines, shipment.lines);
  for (const sl of shipment.lines) {
    const line = run.line(sl.lineNo);
    line.allocated -= sl.quantity;
    if (returned) line.shipped -= sl.quantity;
    line.refunded += sl.quantity;
  }
  const paid = payerFor(run.state.payments, amount);
  if (paid)
    await giveBack(
      run,
      paid,
      amount,
      `refund-shipment-${shipment.seq}`,
      `shipment ${shipment.seq} ${shipment.status}`,
      'system',
      run.takes(PATCH.announcesShipmentRefunds),
    );
}

/** Cash collected at the door becomes a captured payment; a different amount than the parcel's value is flagged. */
async function recordCod(run: OrderRun, shipment: ShipmentView, amount: number) {
  const { orderId, state } = run;
  const expected = run.codValueOf(shipment.seq, shipment.lines);
  const id = `${run.paymentId}-cod-${shipment.seq}`;
  const currency = run.input.totals.currency;
  await db.recordCapture({
    orderId,
    paymentId: id,
    idempotencyKey: businessKey(orderId, `cod-${shipment.seq}`),
    amount,
    currency,
    method: 'cod',
  });
  run.payment({ paymentId: id, method: 'cod', status: 'captured', amount, captured: amount, refunded: 0, currency });
  if (amount === expected) return;
  state.flags = [
    ...(state.flags ?? []),
    { kind: 'cod_mismatch', at: nowIso(), detail: { seq: shipment.seq, expected, collected: amount } },
  ];
  await run.publish({
    type: 'payment.cod_mismatch',
    actor: 'system',
    detail: { seq: shipment.seq, expected, collected: amount },
  });
}
