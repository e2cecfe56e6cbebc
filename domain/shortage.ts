import type { StockNeed, StockPiece } from './allocation';
import { newLedgerLine, nextUnitsPaid } from './ledger';
import type { OrderLine, ShortLine } from './order';
import type { Policy } from './policy';

/** What the customer may do when stock falls short (docs/fulfilment.md). */
export const stockDecisions = ['wait_for_restock', 'substitute', 'partial', 'cancel'] as const;
export type StockDecisionKind = (typeof stockDecisions)[number];

/** A substitute priced from the catalog by the API (client prices are never trusted). */
export interface PricedSubstitution {
  lineNo: number;
  sku: string;
  name: string;
  unitPrice: number;
}

export interface StockDecision {
  decision: StockDecisionKind;
  substitutions?: PricedSubstitution[];
  actor: string;
}

/** Units of a line the order still has to allocate: ordered, less what was substituted or refunded before shipping. */
export function unitsWanted(line: OrderLine): number {
  return line.quantity - (line.substituted ?? 0) - line.refunded;
}

/** What a ledger (an order's lines, an exchange's replacement) still has to allocate, line by line. */
export function wantedNeeds(lines: readonly OrderLine[]): StockNeed[] {
  return lines.map((l) => ({ lineNo: l.lineNo, sku: l.sku, quantity: unitsWanted(l) })).filter((n) => n.quantity > 0);
}

/** Records on each line how many units the stock holds for it now. */
export function recordAllocation(lines: readonly OrderLine[], held: readonly StockPiece[]) {
  for (const l of lines) l.allocated = held.filter((h) => h.lineNo === l.lineNo).reduce((t, h) => t + h.quantity, 0);
}

/**
 * Why a decision cannot apply to this shortage, per field; empty when it can. `lines` is the ledger
 * being allocated: an order's lines, or an exchange's replacement lines. With `dearer: false` a
 * substitute may not cost more than the unit it replaces (an exchange has no payment step to
 * collect a difference).
 */
export function decisionProblems(
  lines: readonly OrderLine[],
  short: readonly ShortLine[],
  d: Omit<StockDecision, 'actor'>,
  opts: { dearer?: boolean } = {},
): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (d.decision === 'partial' && lines.every((l) => l.allocated === 0))
    problems.push({
      field: 'decision',
      message: 'nothing is in stock to ship; choose cancel, wait_for_restock or substitute',
    });
  if (d.decision !== 'substitute') return problems;
  const subs = d.substitutions ?? [];
  subs.forEach((s, i) => {
    const shortLine = short.find((x) => x.lineNo === s.lineNo);
    if (!shortLine) problems.push({ field: `substitutions.${i}.lineNo`, message: `line ${s.lineNo} is not short` });
    else if (shortLine.sku === s.sku)
      problems.push({ field: `substitutions.${i}.sku`, message: 'a substitute must be another SKU' });
    else if (lines.some((l) => l.sku === s.sku))
      problems.push({ field: `substitutions.${i}.sku`, message: `sku ${s.sku} is already on the order` });
    if (subs.findIndex((o) => o.lineNo === s.lineNo) !== i)
      problems.push({ field: `substitutions.${i}.lineNo`, message: 'one substitute per line' });
    const replaced = lines.find((l) => l.lineNo === s.lineNo);
    if (opts.dearer === false && shortLine && replaced && s.unitPrice > replaced.unitPrice)
      problems.push({
        field: `substitutions.${i}.sku`,
        message: `${s.sku} costs ${s.unitPrice}, more than the ${replaced.unitPrice} of the unit it replaces; an exchange cannot charge a difference: choose one at the same price or cheaper, or partial, wait_for_restock or cancel`,
      });
  });
  for (const s of short)
    if (!subs.some((x) => x.lineNo === s.lineNo))
      problems.push({ field: 'substitutions', message: `line ${s.lineNo} is short; name a substitute for it` });
  return problems;
}

/** The window ended unanswered: the policy's default; `partial` falls back to `cancel` when nothing at all is allocated. */
export function defaultStockDecision(
  policyDefault: Policy['stockDecisionDefault'],
  lines: readonly OrderLine[],
): StockDecision {
  const nothingAllocated = lines.every((l) => l.allocated === 0);
  return {
    decision: policyDefault === 'partial' && nothingAllocated ? 'cancel' : policyDefault,
    actor: 'policy:stock-decision-window',
  };
}

/** `partial`: the short units will not come; returns what they were paid (docs/pricing.md), to be refunded. */
export function giveUpShortUnits(lines: OrderLine[], short: readonly ShortLine[]): number {
  let value = 0;
  for (const s of short) {
    const line = lines.find((l) => l.lineNo === s.lineNo)!;
    value += nextUnitsPaid(line, s.quantity);
    line.refunded += s.quantity;
  }
  return value;
}

/**
 * `substitute`: each short part becomes a new line of the substitute SKU (same quantity, catalog
 * price). Returns the price difference: positive is charged, negative refunded.
 */
export function substitute(
  lines: OrderLine[],
  short: readonly ShortLine[],
  subs: readonly PricedSubstitution[],
): number {
  let delta = 0;
  for (const s of short) {
    const sub = subs.find((x) => x.lineNo === s.lineNo)!;
    const line = lines.find((l) => l.lineNo === s.lineNo)!;
    // The replaced units keep their discount (docs/pricing.md): the difference is in list prices, and
    // never gives back more than the replaced units were paid.
    const paidReplaced = nextUnitsPaid(line, s.quantity);
    const difference = Math.max(-paidReplaced, s.quantity * (sub.unitPrice - line.unitPrice));
    line.substituted = (line.substituted ?? 0) + s.quantity;
    const replacement = newLedgerLine(
      Math.max(...lines.map((l) => l.lineNo)) + 1,
      sub.sku,
      sub.name,
      sub.unitPrice,
      s.quantity,
    );
    replacement.substituteFor = line.lineNo;
    const discount = sub.unitPrice * s.quantity - (paidReplaced + difference);
    if (discount > 0) replacement.discount = discount;
    lines.push(replacement);
    delta += difference;
  }
  return delta;
}
