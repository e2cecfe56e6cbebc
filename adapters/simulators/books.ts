import { randomBytes } from 'node:crypto';
import { runStatement, type Db } from '../../store/db';
import type { Prisma, SimulatorRecord } from '../../prisma/generated/client';
import { ProviderRejectedError } from '../types';

/**
 * What every simulator shares: latency, and its own books (table simulator_records) keyed by the
 * idempotency key we send, as a real gateway or courier keeps them on its side.
 */

export interface SimulatorOptions {
  /** Each call waits a random time in [min, max] milliseconds, like a network round trip. */
  latencyMs?: [number, number];
  /** Source of randomness (latency, failures, tracking numbers); inject a seeded one for reproducible runs. */
  random?: () => number;
}

export const DEFAULT_LATENCY_MS: [number, number] = [2, 15];

export type RecordKind =
  | 'charge'
  | 'authorization'
  | 'refund'
  | 'payment_intent'
  | 'booking'
  | 'booking_cancel'
  | 'return_request'
  | 'notification';

export interface NewRecord {
  kind: RecordKind;
  reference: string;
  orderId: string;
  amount?: number | null;
  status: string;
  response: Prisma.InputJsonObject;
}

type Client = Db | Prisma.TransactionClient;

/** Typed objects (interfaces have no index signature) as a JSON column value. */
export const asJson = (value: object) => value as Prisma.InputJsonObject;

export function latency({ latencyMs = DEFAULT_LATENCY_MS, random = Math.random }: SimulatorOptions): Promise<void> {
  const [min, max] = latencyMs;
  const ms = min + random() * Math.max(0, max - min);
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export function newReference(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** A record's columns as the SimulatorRecord type names them. */
export const RECORD_COLUMNS = `provider, idempotency_key AS "idempotencyKey", kind, reference, order_id AS "orderId", amount,
  status, response, created_at AS "createdAt"`;

/** A new record, unless one exists under the key or the reference (the most frequent write of the simulators). */
const INSERT_RECORD = {
  name: 'simulator-record',
  text: `INSERT INTO simulator_records (provider, idempotency_key, kind, reference, order_id, amount, status, response)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT DO NOTHING
    RETURNING ${RECORD_COLUMNS}`,
};

/**
 * Records the outcome of a call once per (provider, key) and returns the record that won.
 * Insert first (returning the row) and read back only if it was skipped: of concurrent identical calls
 * exactly one insert succeeds (primary key), the others skip and see it; so money never moves twice.
 * `inserted` tells the caller it was first. `make` is called again if the generated reference happens
 * to collide with another record's.
 */
export async function recordOnce(
  db: Client,
  provider: string,
  idempotencyKey: string,
  make: () => NewRecord,
): Promise<{ record: SimulatorRecord; inserted: boolean }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const rec = make();
    const [created] = await runStatement<SimulatorRecord>(db, INSERT_RECORD, [
      provider,
      idempotencyKey,
      rec.kind,
      rec.reference,
      rec.orderId,
      rec.amount ?? null,
      rec.status,
      JSON.stringify(rec.response),
    ]);
    if (created) return { record: created, inserted: true };
    const record = await db.simulatorRecord.findUnique({
      where: { provider_idempotencyKey: { provider, idempotencyKey } },
    });
    if (record) return { record: sameRequest(record, rec, idempotencyKey), inserted: false };
    // No row under our key: the insert lost on the unique reference instead; draw a new one.
  }
  throw new Error(`${provider}: could not allocate a unique reference`);
}

/** A real provider refuses a key reused for a different request rather than guessing. */
function sameRequest(record: SimulatorRecord, rec: NewRecord, idempotencyKey: string): SimulatorRecord {
  if (
    record.kind !== rec.kind ||
    record.orderId !== rec.orderId ||
    (rec.amount != null && record.amount !== rec.amount)
  )
    throw new ProviderRejectedError(
      'idempotency_key_reused',
      `idempotency key ${idempotencyKey} was used for another request`,
    );
  return record;
}

/** New records of one batch call, each unless one exists under its key or its reference. */
const INSERT_RECORDS = {
  name: 'simulator-records',
  text: `INSERT INTO simulator_records (provider, idempotency_key, kind, reference, order_id, amount, status, response)
    SELECT $1, r.key, r.kind, r.reference, r."orderId", r.amount, r.status, r.response
    FROM jsonb_to_recordset($2::jsonb) AS r(key text, kind text, reference text, "orderId" text, amount int,
      status text, response jsonb)
    ON CONFLICT DO NOTHING
    RETURNING ${RECORD_COLUMNS}`,
};

const RECORDS_OF_KEYS = {
  name: 'simulator-records-of-keys',
  text: `SELECT ${RECORD_COLUMNS} FROM simulator_records WHERE provider = $1 AND idempotency_key = ANY($2::text[])`,
};

/**
 * recordOnce for a batch call (a gateway's batch send): one statement records every call of the batch
 * not yet recorded, one more reads the ones that were; answers each call's record, in order.
 */
export async function recordEach(
  db: Client,
  provider: string,
  calls: Array<{ idempotencyKey: string; make: () => NewRecord }>,
): Promise<SimulatorRecord[]> {
  const found = new Map<string, SimulatorRecord>();
  for (let attempt = 0; attempt < 5; attempt++) {
    const made = calls.filter((c) => !found.has(c.idempotencyKey)).map((c) => ({ key: c.idempotencyKey, ...c.make() }));
    if (made.length === 0) break;
    // A missing amount is left out of the JSON, which the statement reads as null.
    for (const r of await runStatement<SimulatorRecord>(db, INSERT_RECORDS, [provider, JSON.stringify(made)]))
      found.set(r.idempotencyKey, r);
    const skipped = made.filter((m) => !found.has(m.key));
    if (skipped.length === 0) break;
    const existing = await runStatement<SimulatorRecord>(db, RECORDS_OF_KEYS, [provider, skipped.map((m) => m.key)]);
    for (const record of existing) {
      const asked = skipped.find((m) => m.key === record.idempotencyKey)!;
      found.set(record.idempotencyKey, sameRequest(record, asked, record.idempotencyKey));
    }
    // A key still without a record lost on the unique reference instead: the next round draws a new one.
  }
  if (found.size < new Set(calls.map((c) => c.idempotencyKey)).size)
    throw new Error(`${provider}: could not allocate a unique reference`);
  return calls.map((c) => found.get(c.idempotencyKey)!);
}

const LOCK_RECORD = {
  name: 'simulator-record-lock',
  text: `SELECT ${RECORD_COLUMNS} FROM simulator_records WHERE reference = $1 FOR UPDATE`,
};

/** The record of `reference`, locked until the transaction ends (a refund against it). */
async function lockRecord(tx: Prisma.TransactionClient, reference: string): Promise<SimulatorRecord | undefined> {
  const [record] = await runStatement<SimulatorRecord>(tx, LOCK_RECORD, [reference]);
  return record;
}

/** A recorded error is replayed as the same error, as providers answer a repeated key. */
export function replay<T>(record: SimulatorRecord): T {
  const response = record.response as { error?: { code: string; message: string } };
  if (response.error) throw new ProviderRejectedError(response.error.code, response.error.message);
  return record.response as T;
}

/**
 * Refund against a captured payment of this provider, bounded by what it captured: a row lock on the
 * payment serialises refunds of one payment, so concurrent refunds cannot together exceed it.
 */
export async function refundOnce(
  db: Db,
  provider: string,
  req: { idempotencyKey: string; orderId: string; providerRef: string; amount: number; currency: string },
  capturedOf: (payment: SimulatorRecord) => number,
): Promise<{ providerRef: string; status: 'succeeded' }> {
  const { record } = await recordRefund(db, provider, req, capturedOf, 'succeeded');
  return refundResult(record);
}

/**
 * The refund record of one key: created `status` (`succeeded` for synchronous gateways, `processing`
 * for providers that confirm by notification), or the one already recorded under the key. Refunds in
 * progress count against the capture like completed ones; failed ones gave the money back.
 */
export async function recordRefund(
  db: Db,
  provider: string,
  req: {
    idempotencyKey: string;
    orderId: string;
    paymentId?: string;
    providerRef: string;
    amount: number;
    currency: string;
  },
  capturedOf: (payment: SimulatorRecord) => number,
  status: 'succeeded' | 'processing',
): Promise<{ record: SimulatorRecord; inserted: boolean }> {
  if (!Number.isInteger(req.amount) || req.amount <= 0)
    throw new ProviderRejectedError('invalid_amount', `refund amount must be a positive integer, got ${req.amount}`);
  return db.$transaction(async (tx) => {
    const payment = await lockRecord(tx, req.providerRef);
    const existing = await tx.simulatorRecord.findUnique({
      where: { provider_idempotencyKey: { provider, idempotencyKey: req.idempotencyKey } },
    });
    if (existing) {
      if (existing.kind !== 'refund' || existing.amount !== req.amount) {
        throw new ProviderRejectedError(
          'idempotency_key_reused',
          `idempotency key ${req.idempotencyKey} was used for another request`,
        );
      }
      return { record: existing, inserted: false };
    }
    if (!payment || payment.provider !== provider)
      throw new ProviderRejectedError('unknown_payment', `no payment ${req.providerRef} at ${provider}`);
    const captured = capturedOf(payment);
    const refunded = await tx.simulatorRecord.aggregate({
      _sum: { amount: true },
      where: {
        provider,
        kind: 'refund',
        status: { in: ['succeeded', 'processing'] },
        response: { path: ['paymentRef'], equals: req.providerRef },
      },
    });
    const already = refunded._sum.amount ?? 0;
    if (already + req.amount > captured) {
      // Not recorded: a refused refund moved no money, and a smaller retry under the same key may pass.
      throw new ProviderRejectedError(
        'refund_exceeds_capture',
        `refund of ${req.amount} exceeds what remains of ${req.providerRef}: ${captured - already}`,
      );
    }
    return recordOnce(tx, provider, req.idempotencyKey, () => {
      const reference = newReference('re');
      return {
        kind: 'refund',
        reference,
        orderId: req.orderId,
        amount: req.amount,
        status,
        response: {
          providerRef: reference,
          status,
          paymentRef: req.providerRef,
          currency: req.currency,
          ...(req.paymentId ? { paymentId: req.paymentId } : {}),
        },
      };
    });
  });
}

function refundResult(record: SimulatorRecord): { providerRef: string; status: 'succeeded' } {
  const { providerRef, status } = replay<{ providerRef: string; status: 'succeeded' }>(record);
  return { providerRef, status };
}
