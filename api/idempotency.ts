import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Prisma } from '../prisma/generated/client';
import { runStatement, type Db, type Tx } from '../store/db';
import { Problem, problems } from './problem';

/**
 * How a mutating route honours `Idempotency-Key` (docs/api.md, "Idempotency"):
 * - `update`: the key, scoped by route, caller and path (the order), becomes the Temporal Update id,
 *   so a retry receives the first outcome; the answer is remembered once known.
 * - `transaction`: a direct database write; its idempotency record is written in the same
 *   transaction as the write (the handler writes through `tx`), so the write happens once.
 * - `custom`: the route keeps its own mechanism (POST /v1/orders, after-sales requests).
 * - `event-id`: a signed webhook, deduplicated by its eventId instead.
 * - `none`: the route changes nothing (codec).
 */
export type IdempotencySpec =
  { via: 'update' | 'transaction' | 'custom'; required: boolean } | { via: 'event-id' | 'none' };

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Hash of a value in a key-order-independent form (Idempotency-Key comparison). */
export function requestHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)) ?? '')
    .digest('hex');
}

/** The request's key: 1-200 printable characters; absent → undefined, or 400 where it is required. */
export function readIdempotencyKey(req: FastifyRequest, required: boolean): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined && !required) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 200 || !/^[\x21-\x7e]+$/.test(raw))
    throw problems.validation(
      [
        {
          field: IDEMPOTENCY_HEADER,
          message: required ? 'header is required (1-200 printable characters)' : 'must be 1-200 printable characters',
        },
      ],
      'request headers',
    );
  return raw;
}

export interface Idempotency {
  key: string;
  scope: string;
  requestHash: string;
  /** The Temporal Update id for this key: the same key and request always send the same id. */
  updateId: string;
}

export function idempotencyOf(
  key: string,
  route: string,
  callerName: string,
  params: unknown,
  request: unknown,
): Idempotency {
  const scope = `${route}|${callerName}|${JSON.stringify(params ?? {})}`;
  const hash = requestHash(request);
  return {
    key,
    scope,
    requestHash: hash,
    updateId: `idem-${createHash('sha256').update(`${scope}|${key}|${hash}`).digest('hex').slice(0, 40)}`,
  };
}

/** A remembered answer: a success (status, body) or a refusal (the problem, rendered again on replay). */
interface StoredAnswer {
  status: number;
  body?: unknown;
  problem?: { slug: string; detail: string; errors?: Array<{ field: string; message: string }> };
}

const refusal = (err: Problem): StoredAnswer => ({
  status: err.status,
  problem: { slug: err.slug, detail: err.detail, ...(err.errors ? { errors: err.errors } : {}) },
});
const isRefusal = (err: unknown): err is Problem => err instanceof Problem && err.status < 500;

const reused = () =>
  problems.conflict('idempotency-key-reused', 'this Idempotency-Key was used with a different request on this route');
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === 'P2002';
const asJson = (v: unknown) =>
  v === undefined
    ? null
    : (JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))) as unknown);

const RECORD_OF_KEY = {
  name: 'idempotency-record',
  text: `SELECT request_hash AS "requestHash", resource_id AS "resourceId", payload FROM idempotency_records
    WHERE scope = $1 AND key = $2`,
};

/** What a key was used for, if it was: every write with an Idempotency-Key reads it first (decision 111). */
export async function recordOfKey(db: Db | Prisma.TransactionClient, scope: string, key: string) {
  const [record] = await runStatement<{ requestHash: string; resourceId: string; payload: unknown }>(
    db,
    RECORD_OF_KEY,
    [scope, key],
  );
  return record;
}

const CLAIM_KEY = {
  name: 'idempotency-claim',
  text: `INSERT INTO idempotency_records (scope, key, request_hash, resource_id, payload)
    VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING RETURNING true AS claimed`,
};

/** Another request holds the key (it committed, or this one waited for it to): roll back and replay. */
export class KeyTaken extends Error {
  override name = 'KeyTaken';
}

/** Takes a key for this request inside its transaction, or throws KeyTaken: one statement, no exception from PostgreSQL. */
export async function claimKey(
  tx: Tx,
  r: { scope: string; key: string; requestHash: string; resourceId: string; payload: unknown },
): Promise<void> {
  const values = [r.scope, r.key, r.requestHash, r.resourceId, JSON.stringify(r.payload)];
  const [claimed] = await runStatement(tx, CLAIM_KEY, values);
  if (!claimed) throw new KeyTaken(`key ${r.key} is taken`);
}

/** The remembered answer of a key (replay), 409 for another request, undefined when none is known yet. */
async function remembered(
  db: Db | Prisma.TransactionClient,
  idem: Idempotency,
): Promise<{ answer?: StoredAnswer } | undefined> {
  const record = await recordOfKey(db, idem.scope, idem.key);
  if (!record) return undefined;
  if (record.requestHash !== idem.requestHash) throw reused();
  return { answer: (record.payload as unknown as StoredAnswer | null) ?? undefined };
}

function replay(reply: FastifyReply, answer: StoredAnswer) {
  void reply.header('idempotent-replayed', 'true');
  if (answer.problem)
    throw new Problem(answer.status, answer.problem.slug, answer.problem.detail, answer.problem.errors);
  void reply.status(answer.status);
  return answer.body;
}

const remember = (db: Db, idem: Idempotency, answer: StoredAnswer) =>
  db.idempotencyRecord.updateMany({
    where: { scope: idem.scope, key: idem.key },
    data: { payload: answer as unknown as Prisma.InputJsonValue },
  });

/**
 * An Update route: the key is claimed before the Update is sent (so another request under it is 409
 * even while the first runs), the Update carries `idem.updateId`, and the answer is kept once known,
 * a refusal (4xx: nothing changed) too. An unexpected failure (5xx) keeps the bare claim, so the
 * retry sends the same Update id and Temporal answers with the first outcome.
 */
export async function runWithUpdateId(
  db: Db,
  idem: Idempotency,
  reply: FastifyReply,
  run: () => Promise<unknown>,
): Promise<unknown> {
  const known = await remembered(db, idem);
  if (known?.answer) return replay(reply, known.answer);
  if (!known) {
    try {
      await db.idempotencyRecord.create({
        data: { scope: idem.scope, key: idem.key, requestHash: idem.requestHash, resourceId: idem.updateId },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const raced = await remembered(db, idem);
      if (raced?.answer) return replay(reply, raced.answer);
    }
  }
  try {
    const result = await run();
    await remember(db, idem, { status: reply.statusCode, body: asJson(result) });
    return result;
  } catch (err) {
    if (isRefusal(err)) await remember(db, idem, refusal(err));
    throw err;
  }
}

/**
 * A direct write: the record and the write commit together or not at all. A concurrent request with
 * the same key waits on the record's primary key and then replays the committed answer. A refusal
 * rolls the transaction back and is then remembered on its own.
 */
export async function runInTransaction(
  db: Db,
  idem: Idempotency,
  reply: FastifyReply,
  run: (tx: Prisma.TransactionClient) => Promise<unknown>,
): Promise<unknown> {
  const known = await remembered(db, idem);
  if (known?.answer) return replay(reply, known.answer);
  try {
    return await db.$transaction(async (tx) => {
      await tx.idempotencyRecord.create({
        data: { scope: idem.scope, key: idem.key, requestHash: idem.requestHash, resourceId: idem.updateId },
      });
      const result = await run(tx);
      const answer: StoredAnswer = { status: reply.statusCode, body: asJson(result) };
      await tx.idempotencyRecord.update({
        where: { scope_key: { scope: idem.scope, key: idem.key } },
        data: { payload: answer as unknown as Prisma.InputJsonValue },
      });
      return result;
    });
  } catch (err) {
    if (isRefusal(err)) {
      try {
        await db.idempotencyRecord.create({
          data: {
            scope: idem.scope,
            key: idem.key,
            requestHash: idem.requestHash,
            resourceId: idem.updateId,
            payload: refusal(err) as unknown as Prisma.InputJsonValue,
          },
        });
      } catch (again) {
        if (!isUniqueViolation(again)) throw again;
      }
      throw err;
    }
    if (!isUniqueViolation(err)) throw err;
    const raced = await remembered(db, idem);
    if (raced?.answer) return replay(reply, raced.answer);
    throw err;
  }
}
