/**
 * The benchmark report: the figures computed from the runs, the samples and the Temporal server's metrics,
 * printed as a summary and written as JSON to bench/results/<timestamp>.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client as PgClient } from 'pg';
import { KEYS, type Driver, type OrderRun } from './load';
import {
  diagnose,
  historySizes,
  perLifecycle,
  summary,
  temporalCalls,
  temporalHotspots,
  type ProcMemory,
  type Sampler,
  type TemporalMetrics,
} from './metrics';
import { describeMachine, machineState } from './machine';
import { opts } from './options';
import type { Stack } from './stack';
import { countBy, log, ROOT, round } from './util';

export interface RunTimes {
  setupStarted: number;
  windowStart: number;
  windowEnd: number;
  windowSeconds: number;
  drainSeconds: number;
}

/** Scrapes of the Temporal server's metrics at the start of the window, its end and the end of the drain. */
export interface TemporalScrapes {
  before?: TemporalMetrics;
  after?: TemporalMetrics;
  drained?: TemporalMetrics;
}

export async function buildReport(
  id: string,
  stack: Stack,
  d: Driver,
  sampler: Sampler,
  times: RunTimes,
  scrapes: TemporalScrapes,
) {
  const { setupStarted, windowStart, windowEnd, windowSeconds, drainSeconds } = times;
  const runs = d.runs;
  const submitted = runs.filter((r) => r.orderId);
  const completed = runs.filter((r) => r.completedAt);
  const completedInWindow = completed.filter((r) => r.completedAt! <= windowEnd);
  const notCompleted = submitted.filter((r) => !r.completedAt);
  const stuck = notCompleted.filter((r) => r.failure?.startsWith('still in flight'));
  const failedSubmits = runs.filter((r) => !r.orderId);
  // Ids and tracking numbers masked, so that the same failure of different orders counts as one reason.
  const failuresByReason = countBy(
    runs.filter((x) => x.failure),
    (r) =>
      r
        .failure!.replace(/ord_[0-9a-z]+/g, 'ord_…')
        .replace(/(SF|YT)\d{12}/g, '$1…')
        .slice(0, 160),
  );
  // The read model's status of each order the bench did not see complete: did the engine finish it late,
  // or is it really stuck?
  const dbStatus = new Map<string, string>();
  if (notCompleted.length) {
    const pg = new PgClient({ connectionString: stack.databaseUrl });
    try {
      await pg.connect();
      const { rows } = await pg.query<{ id: string; status: string }>(
        'SELECT id, status FROM orders WHERE id = ANY($1::text[])',
        [notCompleted.map((r) => r.orderId!)],
      );
      for (const row of rows) dbStatus.set(row.id, row.status);
    } catch (err) {
      log(`could not read the orders' status from the database: ${(err as Error).message}`);
    } finally {
      await pg.end().catch(() => {});
    }
  }
  const lostByDbStatus = countBy(notCompleted, (r) => dbStatus.get(r.orderId!) ?? 'no row');
  const lostByStatus = countBy(notCompleted, (r) => `${r.lastStatus ?? 'unknown'} @ ${r.stage}`);

  const ops = await fetch(`${stack.apiUrl}/v1/ops/orders?stuck=true`, {
    headers: { authorization: `Bearer ${KEYS.support}` },
  })
    .then(async (r) =>
      r.ok
        ? { status: r.status, stuck: ((await r.json()) as { items?: unknown[] }).items?.length ?? null }
        : { status: r.status, stuck: null },
    )
    .catch(() => ({ status: 0, stuck: null }));

  sampler.sample();
  const sample = [...completed]
    .sort(() => Math.random() - 0.5)
    .slice(0, opts.historySample)
    .map((r) => r.orderId!);
  const histories = sample.length
    ? await historySizes(stack.temporalAddress, sample).catch((err) => ({ error: (err as Error).message }))
    : undefined;
  const diagnosis = notCompleted.length
    ? await diagnose(
        stack.temporalAddress,
        notCompleted
          .filter((r) => r.orderId)
          .slice(0, 5)
          .map((r) => r.orderId!),
      ).catch((err) => ({ error: (err as Error).message }))
    : undefined;
  // Orders that got a 5xx (even if a retry then went through): what Temporal recorded for them.
  const with5xx = runs.filter((r) => r.orderId && r.serverErrors.length);
  const serverErrorDiagnosis = with5xx.length
    ? await diagnose(
        stack.temporalAddress,
        with5xx.slice(0, 5).map((r) => r.orderId!),
      ).catch((err) => ({ error: (err as Error).message }))
    : undefined;
  sampler.stop();

  const paidBy = (rs: OrderRun[], method: OrderRun['method']) => rs.filter((r) => r.method === method);
  const lifecycleMs = (rs: OrderRun[]) => rs.map((r) => r.completedAt! - r.startedAt);
  const cpuUnderLoad = sampler.cpu(['window', 'drain']);
  const m = d.metrics;
  const report = {
    id,
    startedAt: new Date(Date.now() - (performance.now() - windowStart)).toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memGb: round(os.totalmem() / 2 ** 30),
      node: process.version,
      state: machineState(),
    },
    options: opts,
    stack: {
      /** Which Temporal server ran: the dev server or the production one on PostgreSQL (BENCH_TEMPORAL). */
      temporalServer: stack.temporalServer,
      temporal: stack.temporalAddress,
      api: stack.apiUrl,
      taskQueue: stack.taskQueue,
      setupSeconds: round((windowStart - setupStarted) / 1000),
    },
    throughput: {
      targetPerSecond: opts.rate,
      windowSeconds: round(windowSeconds, 2),
      drainSeconds: round(drainSeconds, 2),
      started: runs.length,
      skippedAtConcurrencyCap: d.skipped,
      submitted: submitted.length,
      completed: completed.length,
      completedInWindow: completedInWindow.length,
      completedInWindowPerSecond: round(completedInWindow.length / windowSeconds, 2),
      completedTotalPerWindowSecond: round(completed.length / windowSeconds, 2),
      /** Completions over the whole time they took (window + drain): the sustained throughput. */
      completedPerSecondOverall: round(completed.length / (windowSeconds + drainSeconds), 2),
      /** Completions per second in the last half of the window (steady state, if the rate is sustainable). */
      completedPerSecondSecondHalf: round(
        completed.filter(
          (r) => r.completedAt! > windowStart + (windowEnd - windowStart) / 2 && r.completedAt! <= windowEnd,
        ).length /
          (windowSeconds / 2),
        2,
      ),
      submittedPerSecond: round(submitted.length / windowSeconds, 2),
      byMethod: {
        card: { started: paidBy(runs, 'card').length, completed: paidBy(completed, 'card').length },
        wechat_pay: { started: paidBy(runs, 'wechat_pay').length, completed: paidBy(completed, 'wechat_pay').length },
      },
      shipmentsPerOrder: round(
        completed.reduce((t, r) => t + (r.shipments ?? 0), 0) / Math.max(1, completed.length),
        2,
      ),
    },
    latencyMs: {
      submit: summary(m.latency.submit),
      get: summary(m.latency.get),
      logisticsWebhook: summary(m.latency.logisticsWebhook),
      paymentWebhook: summary(m.latency.paymentWebhook),
      confirm: summary(m.latency.confirm),
      lifecycle: summary(lifecycleMs(completed)),
      lifecycleCard: summary(lifecycleMs(paidBy(completed, 'card'))),
      lifecycleWechat: summary(lifecycleMs(paidBy(completed, 'wechat_pay'))),
    },
    requests: {
      total: Object.values(m.latency).reduce((t, v) => t + v.length, 0),
      getsPerCompletedOrder: round(m.latency.get.length / Math.max(1, completed.length), 1),
    },
    eventDelivery: eventDelivery(d, times),
    errorsByStatus: Object.fromEntries([...m.errors.entries()].sort()),
    serverErrors: m.serverErrors,
    serverErrorOrders: {
      count: with5xx.length,
      completedAnyway: with5xx.filter((r) => r.completedAt).length,
      examples: with5xx
        .slice(0, 5)
        .map((r) => ({ orderId: r.orderId, errors: r.serverErrors, completed: Boolean(r.completedAt) })),
      temporalDiagnosis: serverErrorDiagnosis,
    },
    orders: {
      lost: notCompleted.length,
      stuck: stuck.length,
      failedSubmits: failedSubmits.length,
      lostByStatusAndStage: Object.fromEntries(lostByStatus),
      /** Status in the read model (orders table) after the drain, of the orders not seen completed. */
      lostByDatabaseStatus: Object.fromEntries(lostByDbStatus),
      failures: Object.fromEntries(failuresByReason),
      opsStuckEndpoint: ops,
      examples: notCompleted.slice(0, 10).map((r) => ({
        orderId: r.orderId,
        method: r.method,
        lastStatus: r.lastStatus,
        databaseStatus: dbStatus.get(r.orderId!),
        stage: r.stage,
        failure: r.failure,
      })),
      temporalDiagnosis: diagnosis,
    },
    historyEvents: histories,
    temporalServerHotspotsInWindow: temporalHotspots(scrapes.before, scrapes.after, windowSeconds),
    temporalCallsPerCompletedLifecycle: temporalCalls(scrapes.before, scrapes.drained, completed.length),
    memoryMb: sampler.memory,
    cpu: {
      window: sampler.cpu(['window']),
      drain: sampler.cpu(['drain']),
      setup: sampler.cpu(['setup']),
      idle: sampler.cpu(['idle']),
      /** CPU milliseconds per completed lifecycle, over the window and the drain (GET polling included). */
      perCompletedLifecycleMs: perLifecycle(cpuUnderLoad, completed.length),
      /** The same, less what the idle stack burns anyway. */
      perCompletedLifecycleNetOfIdleMs: perLifecycle(cpuUnderLoad, completed.length, sampler.cpu(['idle'])),
    },
    stagesMs: stageDurations(completed),
    timeline: sampler.samples
      .filter((s) => s.phase === 'window' || s.phase === 'drain')
      .map((s) => ({ t: s.t, phase: s.phase, rssMb: s.rssMb, ...s.load })),
    logs: Object.fromEntries(stack.children.map((c) => [c.name, path.relative(ROOT, c.logFile)])),
    childExits: Object.fromEntries(stack.children.filter((c) => c.exited).map((c) => [c.name, c.exited])),
  };
  const other = report.cpu.window?.coresUsed.other ?? 0;
  const warnings = [
    ...(other > 0.2
      ? [
          `processes outside the stack used ${other} of ${os.cpus().length} cores during the window (see cpu.window.topOthers): the figures understate the engine`,
        ]
      : []),
    ...(d.skipped ? [`${d.skipped} arrivals were skipped at the in-flight cap of ${opts.concurrency}`] : []),
    ...(report.eventDelivery.fallbackPolls
      ? [
          `${report.eventDelivery.fallbackPolls} awaited events did not come within ${opts.eventTimeoutMs} ms: those stages polled instead`,
        ]
      : []),
  ];
  return { ...report, warnings };
}

export type Report = Awaited<ReturnType<typeof buildReport>>;

/** Writes the report as JSON and prints its summary; true when no order was lost, no 5xx and no child died. */
export function writeReport(report: Report, file: string): boolean {
  writeFileSync(file, JSON.stringify(report, null, 2));
  printReport(report, path.relative(ROOT, file));
  return report.orders.lost === 0 && report.serverErrors === 0 && Object.keys(report.childExits).length === 0;
}

/** How long each child took to stop, known only after the teardown: added to the written report. */
export function addGracefulStops(file: string, stops: Record<string, number | string>) {
  writeFileSync(
    file,
    JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), gracefulStopSeconds: stops }, null, 2),
  );
}

/**
 * The outbound events the receiver got while measuring (window and drain): how many per second, and
 * the delivery latency — receipt minus the event's `timestamp` (when the engine recorded it), so it
 * spans the outbox write, the dispatcher's pass and the HTTP send. Fallback polls should be 0.
 */
function eventDelivery(d: Driver, times: RunTimes) {
  const receipts = d.events.receipts;
  const latencyOf = (type?: string) =>
    summary(receipts.filter((r) => !type || r.type === type).map((r) => r.latencyMs));
  return {
    received: receipts.length,
    perSecondInWindow: round(receipts.filter((r) => r.at <= times.windowEnd).length / times.windowSeconds, 1),
    perSecondOverall: round(receipts.length / (times.windowSeconds + times.drainSeconds), 1),
    latencyMs: latencyOf(),
    latencyMsByType: {
      'shipment.booked': latencyOf('shipment.booked'),
      'order.delivered': latencyOf('order.delivered'),
      'receipt.confirmed': latencyOf('receipt.confirmed'),
    },
    duplicates: d.events.duplicates,
    badSignatures: d.events.badSignatures,
    fallbackPolls: [...d.fallbacks.values()].reduce((t, n) => t + n, 0),
    fallbackPollsByStage: Object.fromEntries(d.fallbacks),
  };
}

/** How long each part of the lifecycle took, over completed orders (ms). */
function stageDurations(runs: OrderRun[]) {
  const between = (from: (r: OrderRun) => number | undefined, to: (r: OrderRun) => number | undefined) =>
    summary(
      runs
        .map((r) => (from(r) !== undefined && to(r) !== undefined ? to(r)! - from(r)! : NaN))
        .filter((v) => !Number.isNaN(v)),
    );
  return {
    submit: between(
      (r) => r.startedAt,
      (r) => r.marks.submitted,
    ),
    wechatSubmittedToPaid: between(
      (r) => r.marks.submitted,
      (r) => r.marks.paid,
    ),
    toTrackingNumbers: between(
      (r) => r.marks.paid ?? r.marks.submitted,
      (r) => r.marks.tracking,
    ),
    courierWebhooks: between(
      (r) => r.marks.tracking,
      (r) => r.marks.webhooks,
    ),
    webhooksToDelivered: between(
      (r) => r.marks.webhooks,
      (r) => r.marks.delivered,
    ),
    confirmToCompleted: between(
      (r) => r.marks.delivered,
      (r) => r.marks.completed,
    ),
  };
}

function printReport(r: any, file: string) {
  const l = r.latencyMs;
  const fmt = (s: any, keys: string[]) => keys.map((k) => `${k} ${s[k] ?? '-'}`).join('  ');
  const mem = (x: ProcMemory) =>
    `peak ${x.peakMb} MB, end ${x.endMb} MB (with tsx wrapper: peak ${x.treePeakMb}, end ${x.treeEndMb})`;
  const cpu = r.cpu.window?.coresUsed;
  const ev = r.eventDelivery;
  const lines = [
    '',
    '══════════════════════════ order lifecycle benchmark ══════════════════════════',
    `Temporal server   ${r.stack.temporalServer}`,
    `machine           ${r.machine.cpus} CPUs; ${describeMachine(r.machine.state)}`,
    `target            ${r.throughput.targetPerSecond} lifecycles/s for ${r.throughput.windowSeconds}s (drain ${r.throughput.drainSeconds}s)`,
    `achieved          ${r.throughput.completedInWindowPerSecond} completed/s within the window (${r.throughput.completedInWindow}); ` +
      `${r.throughput.completedTotalPerWindowSecond}/s counting the drain (${r.throughput.completed} of ${r.throughput.submitted} submitted, ${r.throughput.started} started, ${r.throughput.skippedAtConcurrencyCap} skipped at the cap)`,
    `sustained         ${r.throughput.completedPerSecondOverall}/s over window + drain; ${r.throughput.completedPerSecondSecondHalf}/s in the window's second half`,
    `submit  (ms)      ${fmt(l.submit, ['p50', 'p95', 'p99', 'max'])}   n=${l.submit.count}`,
    `GET     (ms)      ${fmt(l.get, ['p50', 'p99', 'max'])}   n=${l.get.count} (${r.requests.getsPerCompletedOrder} per completed order)`,
    `webhook (ms)      logistics ${fmt(l.logisticsWebhook, ['p50', 'p99'])} n=${l.logisticsWebhook.count};  payment ${fmt(l.paymentWebhook, ['p50', 'p99'])} n=${l.paymentWebhook.count}`,
    `confirm (ms)      ${fmt(l.confirm, ['p50', 'p99', 'max'])}   n=${l.confirm.count}`,
    `events            ${ev.received} received, ${ev.perSecondInWindow}/s in the window (${ev.perSecondOverall}/s with the drain); duplicates ${ev.duplicates}, bad signatures ${ev.badSignatures}`,
    `event→receipt (ms) ${fmt(ev.latencyMs, ['p50', 'p95', 'p99', 'max'])}   (shipment.booked p50 ${ev.latencyMsByType['shipment.booked'].p50} p99 ${ev.latencyMsByType['shipment.booked'].p99})`,
    `fallback polls    ${ev.fallbackPolls}${ev.fallbackPolls ? ` ${JSON.stringify(ev.fallbackPollsByStage)}` : ''}   (awaited events that did not come within ${r.options.eventTimeoutMs} ms)`,
    `lifecycle (ms)    ${fmt(l.lifecycle, ['p50', 'p95', 'p99', 'max'])}   (card p50 ${l.lifecycleCard.p50}, wechat_pay p50 ${l.lifecycleWechat.p50})`,
    `history events    ${r.historyEvents ? (r.historyEvents.error ? `error: ${r.historyEvents.error}` : `order workflow mean ${r.historyEvents.orderWorkflow.mean} (min ${r.historyEvents.orderWorkflow.min}, max ${r.historyEvents.orderWorkflow.max}, n=${r.historyEvents.orderWorkflow.sampled}); ${r.historyEvents.shipmentWorkflow.sampled ? `shipment-<id>-1 mean ${r.historyEvents.shipmentWorkflow.mean} (n=${r.historyEvents.shipmentWorkflow.sampled})` : 'no shipment workflow (the order follows its parcel, lifecycle version 3 on)'}`) : 'n/a'}`,
    `worker RSS        ${mem(r.memoryMb.worker)}`,
    `API RSS           ${mem(r.memoryMb.api)}`,
    `stages (ms p50/p99) to tracking ${r.stagesMs.toTrackingNumbers.p50}/${r.stagesMs.toTrackingNumbers.p99}, courier webhooks ${r.stagesMs.courierWebhooks.p50}/${r.stagesMs.courierWebhooks.p99}, ` +
      `to delivered ${r.stagesMs.webhooksToDelivered.p50}/${r.stagesMs.webhooksToDelivered.p99}, confirm→completed ${r.stagesMs.confirmToCompleted.p50}/${r.stagesMs.confirmToCompleted.p99}, wechat paid ${r.stagesMs.wechatSubmittedToPaid.p50}/${r.stagesMs.wechatSubmittedToPaid.p99}`,
    cpu
      ? `CPU (cores)       temporal ${cpu.temporal}  temporalPostgres ${cpu.temporalPostgres}  worker ${cpu.worker}  api ${cpu.api}  postgres ${cpu.postgres}  bench ${cpu.bench}  other ${cpu.other}  (busy ${cpu.systemBusy} of ${r.cpu.window.cores})`
      : 'CPU               n/a',
    ...(r.cpu.idle
      ? [
          `CPU idle (cores)  ${Object.entries(r.cpu.idle.coresUsed)
            .map(([k, v]) => `${k} ${String(v)}`)
            .join('  ')}  (before the warm-up)`,
        ]
      : []),
    ...(r.cpu.perCompletedLifecycleMs
      ? [
          `CPU ms/lifecycle  ${Object.entries(r.cpu.perCompletedLifecycleMs)
            .map(([k, v]) => `${k} ${String(v)}`)
            .join('  ')}  (window + drain)`,
        ]
      : []),
    ...(r.cpu.perCompletedLifecycleNetOfIdleMs
      ? [
          `  net of idle     ${Object.entries(r.cpu.perCompletedLifecycleNetOfIdleMs)
            .map(([k, v]) => `${k} ${String(v)}`)
            .join('  ')}`,
        ]
      : []),
    ...(r.cpu.window?.topOthers?.length
      ? [`  outside stack   ${r.cpu.window.topOthers.map((p: any) => `${p.comm}[${p.pid}] ${p.cores}`).join(', ')}`]
      : []),
    `orders lost       ${r.orders.lost} (stuck in flight ${r.orders.stuck}); failed submits ${r.orders.failedSubmits}${r.orders.lost ? ` last seen ${JSON.stringify(r.orders.lostByStatusAndStage)}, in the database ${JSON.stringify(r.orders.lostByDatabaseStatus)}` : ''}`,
    `errors by status  ${Object.keys(r.errorsByStatus).length ? JSON.stringify(r.errorsByStatus) : 'none'}   (5xx: ${r.serverErrors})`,
    ...(Object.keys(r.orders.failures).length ? [`failures          ${JSON.stringify(r.orders.failures)}`] : []),
    ...(Object.keys(r.childExits).length ? [`child exits       ${JSON.stringify(r.childExits)}`] : []),
    ...(r.warnings ?? []).map((w: string) => `WARNING           ${w}`),
    `report            ${file}`,
    '═══════════════════════════════════════════════════════════════════════════════',
    '',
  ];
  console.log(lines.join('\n'));
}
