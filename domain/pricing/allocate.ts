/**
 * Splits `amount` over `weights` in proportion, in integer minor units, by largest remainder: each
 * part gets ⌊amount × w / W⌋, then the units left over go one each to the largest fractional parts
 * (ties: the earlier index). The parts sum to `amount` exactly; when amount ≤ W no part exceeds its
 * weight. Deterministic: the same input always gives the same split.
 */
export function allocateLargestRemainder(amount: number, weights: readonly number[]): number[] {
  if (!Number.isInteger(amount) || amount < 0) throw new Error(`amount must be a non-negative integer, got ${amount}`);
  const total = weights.reduce((t, w) => t + w, 0);
  if (amount === 0 || weights.length === 0) return weights.map(() => 0);
  if (total <= 0) throw new Error('cannot allocate over zero weight');
  // A quote splits dozens of times: plain numbers are exact while every amount × weight is a safe integer.
  const safe = Number.isSafeInteger(amount * total) && weights.every((w) => Number.isSafeInteger(amount * w));
  const parts: number[] = new Array<number>(weights.length);
  const remainders: number[] = new Array<number>(weights.length);
  let left = amount;
  for (let i = 0; i < weights.length; i++) {
    if (safe) {
      remainders[i] = (amount * weights[i]) % total;
      parts[i] = (amount * weights[i] - remainders[i]) / total;
    } else {
      // BigInt keeps amount × weight exact beyond 2^53.
      const b = BigInt(amount) * BigInt(weights[i]);
      parts[i] = Number(b / BigInt(total));
      remainders[i] = Number(b % BigInt(total));
    }
    left -= parts[i];
  }
  if (left === 0) return parts;
  const order = weights.map((_, i) => i).sort((a, b) => remainders[b] - remainders[a] || a - b);
  for (const i of order) {
    if (left === 0) break;
    parts[i] += 1;
    left -= 1;
  }
  return parts;
}

/**
 * What units of a line cost when its paid amount does not divide by its quantity: the first units
 * cost ⌊paid / quantity⌋ and the last `paid mod quantity` units one minor unit more, so the units in
 * order sum to the line's paid amount exactly. `paidOfUnits(paid, quantity, from, count)` is the paid
 * price of units from+1 … from+count: giving back units in order (from = units already given back)
 * never gives back more than was paid for the line, and giving back all of them gives back all of it.
 */
export function paidOfUnits(paid: number, quantity: number, from: number, count: number): number {
  if (quantity <= 0 || count <= 0) return 0;
  const upTo = (j: number) => {
    const k = Math.max(0, Math.min(quantity, j));
    const base = Math.floor(paid / quantity);
    const extra = paid - base * quantity;
    return k * base + Math.max(0, k - (quantity - extra));
  };
  return upTo(from + count) - upTo(from);
}
