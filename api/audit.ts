import type { Prisma } from '../prisma/generated/client';
import type { Db } from '../store/db';
import type { Caller } from './auth';
import { Problem } from './problem';

/** How an audited operation ended: done, refused by the engine (4xx, nothing changed), or broke (5xx). */
export type AuditOutcome = 'succeeded' | 'refused' | 'failed';

export interface AuditedOperation {
  caller: Caller;
  /** A stable name, e.g. `order.retry`, `order.refund`. */
  operation: string;
  orderId?: string;
  reason: string;
}

export interface AuditRecord extends AuditedOperation {
  outcome: AuditOutcome;
  statusCode: number;
  details?: Record<string, unknown>;
}

/** Appends one entry to the audit log (insert-only). */
export async function recordAudit(db: Db, r: AuditRecord): Promise<void> {
  await db.auditEntry.create({
    data: {
      actorName: r.caller.name,
      actorRole: r.caller.role,
      operation: r.operation,
      orderId: r.orderId ?? null,
      reason: r.reason,
      outcome: r.outcome,
      statusCode: r.statusCode,
      details: (r.details ?? {}) as Prisma.InputJsonValue,
    },
  });
}

/**
 * Runs a support operation and records it whatever happens: success, a refusal (the Problem the
 * caller receives, e.g. 409 not-allowed-in-state) or an unexpected failure, which is re-thrown.
 * `run` may add to `details` what the log should keep (amounts, the step retried, ...).
 */
export async function audited<T>(
  db: Db,
  op: AuditedOperation,
  run: (details: Record<string, unknown>) => Promise<T>,
  successStatus = 200,
): Promise<T> {
  const details: Record<string, unknown> = {};
  try {
    const result = await run(details);
    await recordAudit(db, { ...op, outcome: 'succeeded', statusCode: successStatus, details });
    return result;
  } catch (err) {
    const refused = err instanceof Problem && err.status < 500;
    const statusCode = err instanceof Problem ? err.status : 500;
    await recordAudit(db, {
      ...op,
      outcome: refused ? 'refused' : 'failed',
      statusCode,
      details: {
        ...details,
        error: err instanceof Problem ? { type: err.slug, detail: err.detail } : { message: (err as Error).message },
      },
    });
    throw err;
  }
}

/** The public shape of an audit entry. */
export function auditView(e: {
  id: bigint;
  actorName: string;
  actorRole: string;
  operation: string;
  orderId: string | null;
  reason: string;
  outcome: string;
  statusCode: number;
  details: unknown;
  at: Date;
}) {
  return {
    id: e.id.toString(),
    actor: { name: e.actorName, role: e.actorRole },
    operation: e.operation,
    orderId: e.orderId,
    reason: e.reason,
    outcome: e.outcome as AuditOutcome,
    statusCode: e.statusCode,
    details: e.details,
    at: e.at,
  };
}
