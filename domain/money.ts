/** Money is integer minor units (fen for CNY); never floats. */
export interface Money {
  amount: number;
  currency: string;
}

export const DEFAULT_CURRENCY = 'CNY';

export function sumAmounts(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/**
 * What one payment has taken and given back (PaymentView and the payments row both have this shape).
 * A card payment is first `authorized` (held on the card, nothing taken): what is given back then is
 * released from the authorization (`voided`), and the capture at hand-over takes the rest.
 */
export interface PaymentMoney {
  method: string;
  status?: string;
  amount?: number;
  captured: number;
  refunded: number;
  voided?: number;
}

/** What a payment can still give back: never below zero while refunded ≤ captured holds. */
export function refundableOf(p: PaymentMoney): number {
  if (p.status === 'authorized') return (p.amount ?? 0) - (p.voided ?? 0);
  return p.captured - p.refunded;
}

/**
 * Books a give-back the refund guard decided (activities/payments.ts refundPayment): `released` when
 * it lowered an uncaptured authorization (voided once nothing is left), else a refund of captured money.
 */
export function applyGiveBack(p: PaymentMoney, amount: number, released: boolean | undefined): void {
  if (!released) {
    p.refunded += amount;
    return;
  }
  p.voided = (p.voided ?? 0) + amount;
  if (p.voided === p.amount) p.status = 'voided';
}

/** The capture at hand-over takes what is left of an authorization. */
export function applyCapture(p: PaymentMoney, captured: number): void {
  p.captured = captured;
  p.status = 'captured';
}

/**
 * The payment that carries a refund of `amount` in one piece: the first non-cash payment with that
 * much left. Cash on delivery is not refunded through a provider, so it never carries one here.
 */
export function payerFor<P extends PaymentMoney>(payments: readonly P[], amount: number): P | undefined {
  if (!Number.isInteger(amount) || amount <= 0) return undefined;
  return payments.find((p) => p.method !== 'cod' && refundableOf(p) >= amount);
}
