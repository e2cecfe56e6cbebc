/** Money is integer minor units (fen for CNY); never floats. */
export interface Money {
  amount: number;
  currency: string;
}

export const DEFAULT_CURRENCY = 'CNY';

export function sumAmounts(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}
