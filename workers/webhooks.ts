import type { Logger } from 'pino';
import { sendSigned, type SendResult } from '../adapters/outbound-webhooks';
import type { UrlPolicy } from '../adapters/url-guard';
import type { Config } from '../config';
import { retryDelayMs, signingSecrets } from '../domain';
import { poolOf, runStatement, type Db } from '../store/db';
import { alignDeliveries, eventTypeMatchesSql } from '../store/outbound-events';

/**
 * Delivers outbound events to subscribers (docs/notifications.md, "Outbound events"), in two steps:
 * fan-out turns each event into one delivery per subscription that wants it, taking an order's
 * events in sequence; delivery sends them, at least once, in order per order and subscription.
 * Rows are claimed with SKIP LOCKED and a lease, as in workers/notifications.ts, so two dispatchers
 * never send one delivery at once, and a dispatcher that dies mid-send leaves it to the next one.
 */
export interface WebhookDispatcherOptions {
  db: Db;
  policy: UrlPolicy;
  /** Waits between attempts (config WEBHOOK_RETRY_SCHEDULE); once used up the delivery is `failed`. */
  schedule: readonly number[];
  timeoutMs: number;
  /** An endpoint with no success for this long is disabled and its owner told. */
  disableAfterMs: number;
  /** How long a claimed delivery is ours; past it another dispatcher may send it again. */
  leaseMs?: number;
  intervalMs?: number;
  /** Chains in flight at once (an order's due deliveries to one subscription, sent in turn): a slow endpoint holds one slot, never the others. */
  concurrency?: number;
  log?: Pick<Logger, 'warn' | 'error' | 'info'>;
}

export const webhookDispatcherOptions = (config: Config) => ({
  policy: { allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS === 'true', allowedHosts: config.WEBHOOK_ALLOWED_HOSTS },
  schedule: config.WEBHOOK_RETRY_SCHEDULE,
  timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  disableAfterMs: config.WEBHOOK_DISABLE_AFTER_SECONDS * 1000,
  intervalMs: config.WEBHOOK_DISPATCH_INTERVAL_MS,
});

/** Events one fan-out statement takes at most. */
const FAN_OUT_BATCH = 100;

/** An event is fanned out with or after every earlier event of its order, once its predecessor's entry is committed. */
const GAP_GIVEN_UP_MS = 60_000;

/** SQL: the timeline entry before event `e`'s is committed (or given up on after GAP_GIVEN_UP_MS, $1). */
const entryWritten = (e: string) => `(${e}.seq = 1 OR ${e}.created_at < now() - $1 * interval '1 millisecond'
    OR EXISTS (SELECT 1 FROM order_events o WHERE o.order_id = ${e}.order_id AND o.seq = ${e}.seq - 1))`;

/**
 * Fan-out in one statement: the ready events (locked past other dispatchers), one delivery per
 * enabled subscription that wants each, and the events marked fanned out; answers one row per event.
 * An event is ready when its timeline entry's predecessor is committed (see fanOut) and every earlier
 * event of its order not yet fanned out is one this statement locked: an order's whole run of new
 * events goes in one pass, and none behind an event another dispatcher holds. Events behind one whose
 * entry's predecessor is still being written are not even locked, so they never fill the batch.
 * Subscribers get the events written after they subscribed; earlier ones by a range redelivery.
 * FOR SHARE (only when there are events): a subscription disabled meanwhile waits for this
 * statement, then parks what it wrote (alignDeliveries).
 */
const FAN_OUT = `WITH locked AS (
    SELECT e.id, e.order_id, e.merchant_id, e.seq, e.type, e.created_at
    FROM outbound_events e
    WHERE e.fanned_out_at IS NULL AND ${entryWritten('e')}
      AND NOT EXISTS (SELECT 1 FROM outbound_events p
                      WHERE p.order_id = e.order_id AND p.seq < e.seq AND p.fanned_out_at IS NULL
                        AND NOT ${entryWritten('p')})
    ORDER BY e.created_at LIMIT $2 FOR UPDATE OF e SKIP LOCKED),
  ready AS (
    SELECT l.* FROM locked l
    WHERE NOT EXISTS (SELECT 1 FROM outbound_events p
                      WHERE p.order_id = l.order_id AND p.seq < l.seq AND p.fanned_out_at IS NULL
                        AND p.id NOT IN (SELECT id FROM locked))),
  subscribers AS (
    SELECT id, merchant_id, event_types, created_at FROM webhook_subscriptions
    WHERE enabled AND EXISTS (SELECT 1 FROM ready) FOR SHARE),
  deliveries AS (
    INSERT INTO webhook_deliveries (subscription_id, event_id, order_id, seq)
    SELECT s.id, e.id, e.order_id, e.seq FROM ready e JOIN subscribers s
      ON s.created_at <= e.created_at AND (s.merchant_id IS NULL OR s.merchant_id = e.merchant_id)
         AND ${eventTypeMatchesSql('s.event_types', 'e.type')}
    ON CONFLICT DO NOTHING)
  UPDATE outbound_events o SET fanned_out_at = now() FROM ready e WHERE o.id = e.id`;

/** Due deliveries an order's chain to one subscription takes at most in one claim. */
const CHAIN_LIMIT = 20;

/**
 * Claims due chains ($1 the lease in ms, $2 how many chains, $3 how long each may be); see claim().
 * A chain's head is an order's first pending delivery to one subscription; it goes on with that
 * order's later due deliveries to the same subscription, in sequence, up to the first one not due.
 * Locking the heads is enough: no other dispatcher claims a delivery while an earlier one is pending.
 * The chains are worked out once (MATERIALIZED): inlined, a planner misled by a young table's
 * statistics re-ran them for every pending row (4 s claims in the benchmark).
 */
const CLAIM = {
  name: 'webhook-claim-chains',
  text: `WITH heads AS (
      SELECT c.id, c.subscription_id, c.order_id, c.seq
      FROM webhook_deliveries c JOIN webhook_subscriptions cs ON cs.id = c.subscription_id
      WHERE c.status = 'pending' AND c.next_attempt_at <= now() AND cs.enabled
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                        WHERE p.subscription_id = c.subscription_id AND p.order_id = c.order_id
                          AND p.seq < c.seq AND p.status = 'pending')
      ORDER BY c.next_attempt_at LIMIT $2 FOR UPDATE OF c SKIP LOCKED),
    chained AS MATERIALIZED (
      SELECT id FROM heads
      UNION ALL
      SELECT n.id FROM heads h CROSS JOIN LATERAL (
        SELECT f.id FROM webhook_deliveries f
        WHERE f.subscription_id = h.subscription_id AND f.order_id = h.order_id AND f.seq > h.seq
          AND f.status = 'pending' AND f.next_attempt_at <= now()
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries g
                          WHERE g.subscription_id = h.subscription_id AND g.order_id = h.order_id
                            AND g.seq > h.seq AND g.seq < f.seq AND g.status = 'pending' AND g.next_attempt_at > now())
        ORDER BY f.seq LIMIT $3 - 1) n)
    UPDATE webhook_deliveries d
    SET next_attempt_at = now() + $1::int * interval '1 millisecond', attempts = d.attempts + 1, updated_at = now()
    FROM chained c, webhook_subscriptions s, outbound_events e
    WHERE d.id = c.id AND s.id = d.subscription_id AND e.id = d.event_id AND d.status = 'pending'
    RETURNING d.id, d.subscription_id AS "subscriptionId", d.event_id AS "eventId", d.order_id AS "orderId", d.seq,
      d.attempts, d.next_attempt_at AS "leasedUntil", s.url, s.secret,
      s.previous_secret AS "previousSecret", s.previous_secret_expires_at AS "previousSecretExpiresAt", e.payload`,
};

/** Gives back the claimed deliveries a chain did not send ($1 their ids, $2 the claim's lease): due again, their attempt not counted. */
const RELEASE = {
  name: 'webhook-release',
  text: `UPDATE webhook_deliveries SET next_attempt_at = now(), attempts = attempts - 1, updated_at = now()
    WHERE id = ANY($1::bigint[]) AND status = 'pending' AND next_attempt_at = $2`,
};

/**
 * Records a batch of successes ($1–$7 the attempts' columns, $8 their subscriptions); see recordSuccesses().
 */
const RECORD_SUCCESSES = {
  name: 'webhook-record-successes',
  text: `WITH sent AS (
      SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::text[], $6::int[], $7::timestamptz[])
        AS u(delivery_id, attempt, status_code, response_body, error, duration_ms, leased_until)
      WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = u.delivery_id)),
    attempt AS (
      INSERT INTO webhook_attempts (delivery_id, attempt, status_code, response_body, error, duration_ms)
      SELECT delivery_id, attempt, status_code, response_body, error, duration_ms FROM sent),
    delivered AS (
      UPDATE webhook_deliveries d SET status = 'delivered', delivered_at = now(), last_attempt_at = now(),
        last_status_code = s.status_code, last_response_body = s.response_body, last_error = s.error,
        updated_at = now()
      FROM sent s WHERE d.id = s.delivery_id AND d.status = 'pending' AND d.next_attempt_at = s.leased_until)
    UPDATE webhook_subscriptions SET failing_since = NULL, updated_at = now()
    WHERE id = ANY($8::text[]) AND failing_since IS NOT NULL`,
};

interface Claimed {
  id: bigint;
  subscriptionId: string;
  eventId: string;
  orderId: string;
  seq: number;
  attempts: number;
  /** The lease this claim set: a delivery still carrying it is still this claim's (no redelivery since). */
  leasedUntil: Date;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  payload: unknown;
}

export function createWebhookDispatcher(opts: WebhookDispatcherOptions) {
  const { db, log, intervalMs = 250, concurrency = 16 } = opts;
  const leaseMs = opts.leaseMs ?? opts.timeoutMs + 30_000;

  /**
   * Events whose order's earlier events are all fanned out or taken in the same pass, and whose
   * predecessor's timeline entry exists (two projections of one order may commit out of order; the
   * entry and its event share a transaction, so a missing predecessor is one still being written).
   * Orders from before outbound events have entries without events, which do not hold anything up.
   */
  async function fanOut(batch = FAN_OUT_BATCH): Promise<number> {
    const { rowCount } = await poolOf(db).query({
      name: 'webhook-fan-out',
      text: FAN_OUT,
      values: [GAP_GIVEN_UP_MS, batch],
    });
    return rowCount ?? 0;
  }

  /**
   * Up to `limit` chains, each an order's due deliveries to one subscription in sequence, from its
   * first pending one (so seq n waits until n-1 is delivered or failed), leased and counted.
   */
  async function claim(limit: number): Promise<Claimed[][]> {
    const rows = await runStatement<Claimed>(db, CLAIM, [leaseMs, limit, CHAIN_LIMIT]);
    const claimed = rows.map((row) => ({ ...row, id: BigInt(row.id) })); // a bigint arrives as text from the pool
    const chains = Map.groupBy(claimed, (row) => `${row.subscriptionId} ${row.orderId}`);
    return [...chains.values()].map((chain) => chain.sort((a, b) => a.seq - b.seq));
  }

  /** Claimed deliveries a chain will not send now: due again for the next claim, their attempt not counted. */
  async function release(rows: Claimed[]) {
    if (rows.length === 0 || dead) return; // a killed dispatcher records nothing: the leases run out
    await runStatement(db, RELEASE, [rows.map((r) => String(r.id)), rows[0].leasedUntil]);
  }

  const attemptRow = (row: Claimed, r: SendResult) => ({
    deliveryId: row.id,
    attempt: row.attempts,
    statusCode: r.statusCode ?? null,
    responseBody: r.responseBody ?? null,
    error: r.error ?? null,
    durationMs: r.durationMs,
  });
  const lastAnswer = (r: SendResult) => ({
    lastAttemptAt: new Date(),
    lastStatusCode: r.statusCode ?? null,
    lastResponseBody: r.responseBody ?? null,
    lastError: r.error ?? null,
  });

  /**
   * Successes wait for the next pass (or stop()) and are recorded together, in one statement: the
   * attempts, the deliveries delivered, and their subscriptions' failing marks cleared only where set
   * (no row lock on every success). The next event of an order is claimed in that same pass, after
   * the record, so it goes no later than before. A delivery redelivered meanwhile (a new round, a new
   * lease) stays pending: only its attempt is logged. One gone (its subscription deleted) is skipped,
   * never failing the others; a batch that does fail is kept for the next pass, and until
   * it is recorded the lease keeps its deliveries from being claimed again.
   */
  let succeeded: Array<{ row: Claimed; r: SendResult }> = [];

  async function recordSuccesses() {
    if (succeeded.length === 0) return;
    const batch = succeeded.sort((a, b) => Number(a.row.id - b.row.id)); // one lock order for every batch
    succeeded = [];
    const attempts = batch.map(({ row, r }) => attemptRow(row, r));
    const column = <K extends keyof (typeof attempts)[number]>(k: K) => attempts.map((a) => a[k]);
    const leases = batch.map(({ row }) => row.leasedUntil);
    try {
      await runStatement(db, RECORD_SUCCESSES, [
        column('deliveryId').map(String), // pg sends bigint[] elements as text
        column('attempt'),
        column('statusCode'),
        column('responseBody'),
        column('error'),
        column('durationMs'),
        leases,
        [...new Set(batch.map(({ row }) => row.subscriptionId))],
      ]);
    } catch (err) {
      succeeded.push(...batch);
      throw err;
    }
  }

  async function recordFailure(row: Claimed, r: SendResult) {
    const wait = retryDelayMs(opts.schedule, row.attempts);
    await db.$transaction(async (tx) => {
      // The subscription's row first: a disable locks it before it parks the deliveries, so taking the
      // delivery first could deadlock with it (the disable then failed with a 500).
      await tx.$queryRaw`SELECT 1 FROM webhook_subscriptions WHERE id = ${row.subscriptionId} FOR NO KEY UPDATE`;
      await tx.webhookAttempt.create({ data: attemptRow(row, r) });
      await tx.webhookDelivery.updateMany({
        where: { id: row.id, status: 'pending' },
        data: {
          status: wait === undefined ? 'failed' : 'pending',
          nextAttemptAt: new Date(Date.now() + (wait ?? 0)),
          ...lastAnswer(r),
        },
      });
      await tx.webhookSubscription.updateMany({
        where: { id: row.subscriptionId, failingSince: null },
        data: { failingSince: new Date() },
      });
      await disableIfFailingTooLong(tx, row.subscriptionId);
    });
    if (wait === undefined) log?.warn({ deliveryId: String(row.id), eventId: row.eventId }, 'webhook delivery failed');
  }

  /** An endpoint without a success for `disableAfterMs` is disabled; its owner is told through the notification outbox. */
  async function disableIfFailingTooLong(tx: Parameters<Parameters<Db['$transaction']>[0]>[0], subscriptionId: string) {
    const since = new Date(Date.now() - opts.disableAfterMs);
    const [sub] = await tx.webhookSubscription.updateManyAndReturn({
      where: { id: subscriptionId, enabled: true, failingSince: { lte: since } },
      data: { enabled: false, disabledReason: 'failing' },
    });
    if (!sub) return;
    await alignDeliveries(tx, sub.id);
    await tx.notification.createMany({
      data: [
        {
          // The business key: one notice per disabling, however often it is recorded.
          id: `webhook-disabled:${sub.id}:${sub.failingSince!.getTime()}`,
          recipientType: sub.merchantId ? 'merchant' : sub.ownerRole,
          recipientId: sub.merchantId ?? sub.ownerName,
          channel: 'email',
          kind: 'webhook.endpoint_disabled',
          payload: { subscriptionId: sub.id, url: sub.url, failingSince: sub.failingSince!.toISOString() },
        },
      ],
      skipDuplicates: true,
    });
    log?.warn({ subscriptionId: sub.id }, 'webhook endpoint disabled after failing too long');
  }

  /** Sends one delivery and records how it went; true if it was answered 2xx. */
  async function deliver(row: Claimed): Promise<boolean> {
    const r = await sendSigned({
      url: row.url,
      // Signed when sent, so a rotation or an overlap's end applies to retries of older events too.
      secrets: signingSecrets(row, new Date()),
      eventId: row.eventId,
      body: JSON.stringify(row.payload),
      timeoutMs: opts.timeoutMs,
      policy: opts.policy,
    });
    if (dead) return false; // a killed dispatcher records nothing: its lease runs out and another one sends again
    const ok = r.statusCode !== undefined && r.statusCode >= 200 && r.statusCode < 300 && !r.error;
    if (ok) succeeded.push({ row, r });
    else await recordFailure(row, r);
    return ok;
  }

  /**
   * A chain, one delivery after another: each is sent once the one before it was answered 2xx (its
   * success is recorded with the others at the next pass). After a failure, once stopping, or when
   * a failure could not be recorded, the rest is released: they wait for the one before them, as
   * they would have had they not been claimed, rather than for the claim's lease to run out.
   */
  async function deliverChain(chain: Claimed[]) {
    let next = 0;
    try {
      while (next < chain.length && (await deliver(chain[next++])) && !stopped);
    } finally {
      await release(chain.slice(next));
    }
  }

  let stopped = true;
  let dead = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  const inFlight = new Set<Promise<void>>();

  /** One pass: record the successes, fan out what is ready (more rounds while a batch is full), then fill the free send slots with chains. */
  async function dispatch() {
    await recordSuccesses().catch((err) =>
      log?.error({ err }, 'webhook successes not recorded; kept for the next pass'),
    );
    // A short batch took every ready event (an order's whole run at once): another round would find none.
    for (let round = 0; round < 5 && (await fanOut()) === FAN_OUT_BATCH; round++);
    const free = concurrency - inFlight.size;
    if (free <= 0) return;
    for (const chain of await claim(free)) {
      const sending: Promise<void> = deliverChain(chain)
        .catch((err) => log?.error({ err, deliveryId: String(chain[0].id) }, 'webhook delivery not recorded'))
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
  }

  const loop = () => {
    if (stopped) return;
    pass = dispatch()
      .catch((err) => log?.error({ err }, 'webhook dispatcher pass failed'))
      .then(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };

  return {
    start() {
      if (dead) throw new Error('a killed webhook dispatcher does not start again: create another');
      stopped = false;
      loop();
    },
    /** Stops claiming and waits for the sends in flight (each ends within the time-out) to be recorded. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pass;
      await Promise.all([...inFlight]);
      // Not recorded (the database is gone): their leases run out and they are sent again.
      await recordSuccesses().catch((err) => log?.error({ err }, 'webhook successes not recorded'));
    },
    /** As if the process died: nothing more is claimed or recorded (tests of the lease). */
    kill() {
      stopped = true;
      dead = true;
      clearTimeout(timer);
    },
    fanOut,
  };
}

export function startWebhookDispatcher(opts: WebhookDispatcherOptions) {
  const dispatcher = createWebhookDispatcher(opts);
  dispatcher.start();
  return dispatcher;
}
