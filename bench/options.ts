/**
 * Options (environment, or argv as --rate=25, --duration=60, --concurrency=250, ...):
 *   BENCH_RATE                 target orders started per second (default 25)
 *   BENCH_DURATION_SECONDS     measurement window (default 60)
 *   BENCH_CONCURRENCY          max lifecycles in flight; arrivals beyond it are skipped and reported
 *                              (default 10 s of arrivals: 250 at 25/s, at least 50)
 *   BENCH_EVENT_TIMEOUT_MS     how long a lifecycle awaits the outbound event showing its next state before
 *                              it polls GET /v1/orders/{id} instead, counted as a fallback (default 60000)
 *   BENCH_POLL_MS              first GET polling interval of such a fallback (default 150)
 *   BENCH_POLL_MAX_MS          polling backs off ×1.5 up to this (default 1000; = BENCH_POLL_MS for fixed)
 *   WEBHOOK_DISPATCH_INTERVAL_MS  passed through to the worker: the outbound dispatcher's idle pass interval
 *   BENCH_DRAIN_SECONDS        how long to wait for in-flight orders after the window (default 60)
 *   BENCH_WECHAT_SHARE         share of orders paid by WeChat Pay (default 0.1)
 *   BENCH_SETTLE_SECONDS       the stack settles this long once ready, before the idle measure (default 10)
 *   BENCH_IDLE_SECONDS         CPU of the idle stack is measured this long before the warm-up (default 10)
 *   BENCH_WARMUP               lifecycles run one by one before the window, not counted (default 3)
 *   BENCH_HISTORY_SAMPLE       completed orders whose Temporal histories are counted (default 20)
 *   BENCH_ADMIN_DATABASE_URL   PostgreSQL server to create the database on (default: the server at
 *                              127.0.0.1:5432 or PGHOST/PGPORT, else a throw-away embedded PostgreSQL;
 *                              scripts/local-postgres.ts, adminDatabase)
 *   BENCH_DB_POOL_SIZE         DB_POOL_SIZE of the worker and the API (default 10)
 *   BENCH_TEMPORAL             the Temporal server the stack runs: `dev` (default: the CLI's dev server on SQLite)
 *                              or `production` (the Temporal server 1.29.1 on a PostgreSQL of its own, 4 history
 *                              shards; bench/production-server.ts). The ceiling runs on the same kind.
 *   BENCH_TEMPORAL_LIMIT       value of the raised rate limits of either server (default 5000)
 *   BENCH_DYNAMIC_CONFIG       extra dynamic config of either server, comma separated KEY=JSON pairs (scalars),
 *                              e.g. history.shardIOConcurrency=4
 *   BENCH_SQLITE_PRAGMAS       dev-server SQLite pragmas, comma separated PRAGMA=VALUE pairs (default: WAL, as npm start)
 *   WORKER_MAX_CONCURRENT_*    passed through to the worker (config/index.ts)
 *   BENCH_PRICING              the pricing section (issue 12, item 7; bench/pricing/section.ts): `also` (default)
 *                              runs bench/pricing/bench.ts after the lifecycles, `only` instead of them, `off` not
 *   BENCH_CEILING              1: after the lifecycles, the ceiling (bench/ceiling/run.ts) with the engine/ceiling
 *                              ratios against this run's report (default off; `npm run bench:ceiling` runs it alone)
 *   BENCH_VCPU_POLL            1: idle CPUs poll instead of halting while the bench runs (bench/machine.ts; needs
 *                              root), as on a host that polls halted vCPUs; every report says which held
 *   BENCH_WORKER_NODE_ARGS, BENCH_API_NODE_ARGS
 *                              node flags for the worker (after WORKER_NODE_FLAGS, which it always has) / API
 *                              (then run as `node <flags> --import tsx <script>`),
 *                              e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where their CPU goes
 */
/** `--rate=10` or `--rate 10` → BENCH_RATE; `--duration` is short for BENCH_DURATION_SECONDS. */
function argvOptions(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const alias: Record<string, string> = { DURATION: 'DURATION_SECONDS', DRAIN: 'DRAIN_SECONDS' };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!m) continue;
    let name = m[1].toUpperCase().replace(/-/g, '_');
    name = alias[name] ?? name;
    const value = m[2] ?? (argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true');
    out[`BENCH_${name}`] = value;
  }
  return out;
}

export const env: NodeJS.ProcessEnv = { ...process.env, ...argvOptions(process.argv.slice(2)) };

function num(name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function temporalServer(raw: string): 'dev' | 'production' {
  if (raw === 'dev' || raw === 'production') return raw;
  throw new Error(`BENCH_TEMPORAL must be dev or production, got ${JSON.stringify(raw)}`);
}

function pricingMode(raw: string): 'also' | 'only' | 'off' {
  if (raw === 'also' || raw === 'only' || raw === 'off') return raw;
  throw new Error(`BENCH_PRICING must be also, only or off, got ${JSON.stringify(raw)}`);
}

const flag = (name: string) => ['1', 'true', 'yes'].includes((env[name] ?? '').toLowerCase());

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const opts = {
  rate: num('BENCH_RATE', 25, 0.1),
  durationSeconds: num('BENCH_DURATION_SECONDS', 60, 1),
  concurrency: 0, // set below: it defaults to 10 s of arrivals
  eventTimeoutMs: num('BENCH_EVENT_TIMEOUT_MS', 60_000, 100),
  pollMs: num('BENCH_POLL_MS', 150, 10),
  pollMaxMs: num('BENCH_POLL_MAX_MS', 1000, 10),
  drainSeconds: num('BENCH_DRAIN_SECONDS', 60, 0),
  wechatShare: Math.min(1, num('BENCH_WECHAT_SHARE', 0.1, 0)),
  warmup: Math.floor(num('BENCH_WARMUP', 3, 0)),
  settleSeconds: num('BENCH_SETTLE_SECONDS', 10, 0),
  idleSeconds: num('BENCH_IDLE_SECONDS', 10, 0),
  historySample: Math.floor(num('BENCH_HISTORY_SAMPLE', 20, 0)),
  adminDatabaseUrl: env.BENCH_ADMIN_DATABASE_URL || undefined,
  dbPoolSize: Math.floor(num('BENCH_DB_POOL_SIZE', 10, 1)),
  temporal: temporalServer(env.BENCH_TEMPORAL ?? 'dev'),
  temporalLimit: num('BENCH_TEMPORAL_LIMIT', 5000, 1),
  dynamicConfig: list(env.BENCH_DYNAMIC_CONFIG ?? ''),
  sqlitePragmas: list(env.BENCH_SQLITE_PRAGMAS ?? 'journal_mode=WAL,synchronous=NORMAL'),
  pricing: pricingMode(env.BENCH_PRICING ?? 'also'),
  ceiling: flag('BENCH_CEILING'),
  vcpuPoll: flag('BENCH_VCPU_POLL'),
};

opts.concurrency = Math.floor(num('BENCH_CONCURRENCY', Math.max(50, Math.ceil(opts.rate * 10)), 1));
