/** Money is integer minor units (fen for CNY); never floats. */
export interface Money {
  amount: number;
  currency: string;
}

export const DEFAULT_CURRENCY = 'CNY';

export function sumAmounts(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** What one payment has taken and given back (PaymentView and the payments row both have this shape). */
export interface PaymentMoney {
  method: string;
  captured: number;
  refunded: number;
}

/** What a payment can still give back: never below zero while refunded ≤ captured holds. */
export function refundableOf(p: PaymentMoney): number {
  return p.captured - p.refunded;
}

/**
 * The payment that carries a refund of `amount` in one piece: the first non-cash payment with that
 * much left. Cash on delivery is not refunded through a provider, so it never carries one here.
 */
export function payerFor<P extends PaymentMoney>(payments: readonly P[], amount: number): P | undefined {
  if (!Number.isInteger(amount) || amount <= 0) return undefined;
  return payments.find((p) => p.method !== 'cod' && refundableOf(p) >= amount);
}
