import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AfterSalesReason,
  AfterSalesState,
  AfterSalesStatus,
  AfterSalesSummary,
  AfterSalesType,
  CompensationKind,
  InspectionBody,
} from '../domain/after-sales';
import type { StockDecision } from '../domain/shortage';

// After-sales (docs/after-sales.md): the order hosts the request Update and hears its children's progress;
// each request is a child workflow `after-sales-<requestId>` with the merchant's Updates.
export interface AfterSalesCommand {
  requestId: string;
  type: AfterSalesType;
  lines: Array<{ sku: string; quantity: number }>;
  reason: AfterSalesReason;
  description?: string;
  evidenceUrls: string[];
  compensation?: { kind: CompensationKind; amount: number };
  actor: string;
}
/** Answers the request as listed on the order; `replayed` when its id (Idempotency-Key) was known. */
export const requestAfterSales = defineUpdate<AfterSalesSummary & { replayed?: boolean }, [AfterSalesCommand]>(
  'requestAfterSales',
);

/** What a request tells its order at every step; the order applies the money and ledger effects. */
export interface AfterSalesProgress {
  requestId: string;
  status: AfterSalesStatus;
  entry: { type: string; actor: string; detail?: Record<string, unknown> };
  refunds?: Array<{ paymentId: string; amount: number }>;
  /** Units that came back for good (not replaced or repaired), and units settled by a refund. */
  returned?: Array<{ lineNo: number; quantity: number }>;
  refundedUnits?: Array<{ lineNo: number; quantity: number }>;
}
export const afterSalesProgressed = defineSignal<[AfterSalesProgress]>('afterSalesProgressed');

export interface AfterSalesDecision {
  decision: 'approve' | 'reject';
  reason?: string;
  actor: string;
}
export const decideAfterSales = defineUpdate<AfterSalesState, [AfterSalesDecision]>('afterSalesDecision');
export const inspectAfterSales = defineUpdate<AfterSalesState, [InspectionBody & { actor: string }]>(
  'afterSalesInspection',
);
/**
 * The customer's answer when an exchange's replacement is short (docs/after-sales.md, as for an order);
 * a backordered exchange may still be given up (`cancel`). Restocks wake it with stockReplenished.
 */
export const decideAfterSalesStock = defineUpdate<AfterSalesState, [StockDecision]>('afterSalesStockDecision');
export const afterSalesState = defineQuery<AfterSalesState>('state');
