/**
 * `BENCH_TEMPORAL=production`: the bench's Temporal is the production server (1.29.1, PostgreSQL
 * persistence, 4 history shards; built and configured by scripts/temporal-server.ts, as the
 * production suite runs it) instead of the dev server. Its PostgreSQL is one of its own, not the
 * engine's, so that the sampler can tell the two apart by process tree: `temporalPostgres` is this
 * server's postmaster and its backends, `postgres` the engine's.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../scripts/local-postgres';
import {
  ensureNamespace,
  prepareTemporalServer,
  startRunPostgres,
  temporalReady,
  TEMPORAL_HISTORY_SHARDS,
  TEMPORAL_SERVER_VERSION,
} from '../scripts/temporal-server';
import { log } from './util';

/** What of the bench's Stack (bench/stack.ts) the production server needs: declared here, so neither imports the other both ways. */
export interface TemporalHost {
  readonly tmp: string;
  readonly cleanups: Array<{ name: string; run: () => Promise<void> }>;
  temporalAddress: string;
  temporalMetricsPort: number;
  temporalServer: string;
  temporalPostgresPid?: () => number | undefined;
  spawnChild(
    name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd?: string,
  ): { proc: ChildProcess; logFile: string; exited?: unknown };
}

export async function startProductionTemporal(
  host: TemporalHost,
  dynamicConfig: Record<string, unknown>,
): Promise<void> {
  const pgPort = await freePort();
  // Its data folder directly under the bench's temporary folder: the server's user gets o+x on that parent.
  const pg = await startRunPostgres(path.join(host.tmp, 'temporal-postgres'), pgPort);
  host.cleanups.push({ name: "Temporal's PostgreSQL", run: () => pg.stop() });
  host.temporalPostgresPid = () => pg.pid();
  log(`Temporal's own PostgreSQL 17 (embedded) on 127.0.0.1:${pgPort} (pid ${pg.pid()})`);

  const launch = await prepareTemporalServer({ dir: host.tmp, pgPort, log, dynamicConfig });
  const server = host.spawnChild('temporal', launch.command, launch.args, process.env, launch.cwd);
  host.temporalAddress = launch.address;
  host.temporalMetricsPort = launch.metricsPort;
  host.temporalServer = `production ${TEMPORAL_SERVER_VERSION} (PostgreSQL, ${TEMPORAL_HISTORY_SHARDS} history shards)`;
  const exited = new Promise<never>((_, reject) =>
    server.proc.once('exit', (code) =>
      reject(new Error(`the Temporal server exited at start (code ${code}); see ${server.logFile}`)),
    ),
  );
  exited.catch(() => undefined); // only raced below
  await Promise.race([temporalReady(launch.address).then(() => ensureNamespace(launch.address)), exited]);
}

/** `KEY=JSON` pairs of BENCH_DYNAMIC_CONFIG as dynamic-config values (a value that is not JSON stays a string). */
export function dynamicConfigValues(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new Error(`BENCH_DYNAMIC_CONFIG: expected KEY=JSON, got ${JSON.stringify(pair)}`);
    const raw = pair.slice(i + 1);
    try {
      out[pair.slice(0, i)] = JSON.parse(raw);
    } catch {
      out[pair.slice(0, i)] = raw;
    }
  }
  return out;
}
