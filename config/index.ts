import { z } from 'zod';
import type { MembershipTerms, Tier } from '../domain/membership';
import { tierLadderSchema } from '../domain/membership.schema';

/** Requests a key may make: a token bucket refilled at `perSecond`, holding at most `burst`. */
export const rateLimitSchema = z.object({
  perSecond: z.number().positive().max(100_000),
  burst: z.number().int().min(1).max(100_000),
});
export type RateLimit = z.infer<typeof rateLimitSchema>;
/**
 * Workflows a worker keeps in memory between their tasks (WORKER_MAX_CACHED_WORKFLOWS): sized for a
 * worker RSS of 400 MB, since orders stay open through their return window (docs/operations.md, "Worker
 * cache"; docs/decisions/099-worker-cache-sized-for-the-return-window.md).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 100;
/** Connections of each process's database pool; a worker takes as many workflow tasks at once (decision 096). */
export const DEFAULT_DB_POOL_SIZE = 10;
/** For keys configured without their own `rateLimit`. */
export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 100, burst: 200 };
/** The development keys serve the test suite and the benchmark, which poll hard. */
const DEV_RATE_LIMIT: RateLimit = { perSecond: 1000, burst: 2000 };

/**
 * The API keys (docs/security.md): one role each; a merchant key is scoped to one merchant. Only the key's
 * SHA-256 is configured (`printf %s "$KEY" | sha256sum`): a leaked configuration reveals no key.
 */
export const apiKeySchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of the key (printf %s "$KEY" | sha256sum)'),
    role: z.enum(['platform', 'merchant', 'support', 'logistics']),
    merchantId: z.string().min(1).optional(),
    name: z.string().min(1),
    rateLimit: rateLimitSchema.optional(),
  })
  .strict()
  .refine((k) => (k.role === 'merchant') === (k.merchantId !== undefined), {
    path: ['merchantId'],
    message: 'is required for merchant keys and only for them',
  });
export type ApiKey = z.infer<typeof apiKeySchema>;

/**
 * Documented development keys (docs/operations.md lists them in plain text): dev-platform-key,
 * dev-merchant-key, dev-manual-merchant-key, dev-support-key, dev-logistics-key. Replace them with
 * API_KEYS anywhere real.
 */
export const DEV_API_KEYS: ApiKey[] = (
  [
    {
      sha256: '9831e20a4d38b6fdfa34285772c4b88de26d51134c15107cb941d53b70859e63',
      role: 'platform',
      name: 'dev platform',
    },
    {
      sha256: '3b79a06e1585e784597f75d08d14679e0290b78a652e60b9535086adf81bccb1',
      role: 'merchant',
      merchantId: 'm-demo',
      name: 'dev merchant m-demo',
    },
    {
      sha256: 'e3a2c94dfc26c6afdbeea5eab9fdec1564a357c0c1bc835f41e15e3d52593388',
      role: 'merchant',
      merchantId: 'm-manual',
      name: 'dev merchant m-manual',
    },
    {
      sha256: '252ace35257f828398f1958affaf656903393196cb1d77a79e9989d22263eb58',
      role: 'support',
      name: 'dev support',
    },
    {
      sha256: '21c4ad8aeab4ad21660b8317962d1735bf08e9bb6d50dafe7e8105cfeda8da39',
      role: 'logistics',
      name: 'dev logistics',
    },
  ] as const
).map((k) => ({ ...k, rateLimit: DEV_RATE_LIMIT }));

const jsonKeys = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a JSON array of {sha256, role, merchantId?, name, rateLimit?}',
      });
      return z.NEVER;
    }
  })
  .pipe(z.array(apiKeySchema).min(1));

/**
 * The development payload key (docs/security.md, "Payload encryption"): documented, so it protects nothing;
 * set PAYLOAD_KEYS anywhere real.
 */
export const DEV_PAYLOAD_KEYS = 'dev:zOfLyGugY8DGMfin/ys9me78S3y/plgo1K0i5zTZEpE=';

/** The keys of the payload codec (platform/codec.ts): the active key seals, every key opens. */
export interface PayloadKeys {
  /** Key id → 32-byte AES-256 key. */
  keys: ReadonlyMap<string, Buffer>;
  activeKeyId: string;
}

/** `id:base64,id2:base64` → id → 32-byte AES-256 key. */
const payloadKeys = z.string().transform((text, ctx) => {
  const keys = new Map<string, Buffer>();
  const pairs = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  pairs.forEach((pair, i) => {
    const colon = pair.indexOf(':');
    const [id, b64] = [pair.slice(0, colon), pair.slice(colon + 1)];
    const key = Buffer.from(b64, 'base64');
    // Messages name the entry and the id, never key material.
    if (colon < 1 || !/^[\w.-]+$/.test(id))
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1} must be <id>:<base64 key>` });
    else if (key.length !== 32)
      ctx.addIssue({
        code: 'custom',
        message: `key "${id}" must be 32 bytes in base64 (openssl rand -base64 32), got ${key.length}`,
      });
    else keys.set(id, key);
  });
  if (keys.size === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one <id>:<base64 key>' });
  return keys;
});

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5s,5m,30m,2h` → milliseconds, each entry an integer and a unit (ms, s, m, h, d). */
const durations = z.string().transform((text, ctx) => {
  const parts = text.split(',').map((p) => p.trim());
  const ms = parts.map((p) => /^(\d{1,9})(ms|s|m|h|d)$/.exec(p)).map((m) => m && Number(m[1]) * DURATION_MS[m[2]]);
  if (ms.some((m) => m === null) || ms.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a comma-separated list like 5s,5m,30m,2h (units ms, s, m, h, d)',
    });
    return z.NEVER;
  }
  return ms as number[];
});

/** Outbound events to platforms' endpoints (docs/notifications.md, "Outbound events"). */
const webhookConfig = {
  /** Waits between a delivery's attempts; once they are used up it is `failed`. The default spans 37.6 h (30 h at the lowest jitter). */
  WEBHOOK_RETRY_SCHEDULE: durations.prefault('5s,5m,30m,2h,5h,10h,10h,10h'),
  /** One attempt's limit: an endpoint that has not answered by then is a failed attempt. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** An endpoint failing without a single success for this long is disabled and its owner told (default 5 days). */
  WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(5 * 86_400),
  /** Endpoints on private, loopback or link-local addresses are refused unless this is `true`... */
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).default('false'),
  /** ...or their host (name or IP literal, as written in the URL) is listed here, comma-separated. */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  WEBHOOK_DISPATCH_INTERVAL_MS: z.coerce.number().int().min(10).default(250),
};

/**
 * Membership tiers (docs/pricing.md "Membership", decision 072): the one place they are configured.
 * Thresholds are growth value in fen (money paid for orders completed in 12 months, less refunds),
 * after the ladders of Taobao/JD-style programmes: a base level and four above it.
 */
export const DEFAULT_MEMBERSHIP_TIERS: Tier[] = [
  {
    name: 'member',
    minGrowth: 0,
    memberDiscountPercent: 0,
    pointsMultiplier: 1,
    freeShipping: false,
    flashSaleEarlyMinutes: 0,
  },
  {
    name: 'silver',
    minGrowth: 100_000,
    memberDiscountPercent: 2,
    pointsMultiplier: 1.2,
    freeShipping: false,
    flashSaleEarlyMinutes: 0,
  },
  {
    name: 'gold',
    minGrowth: 500_000,
    memberDiscountPercent: 5,
    pointsMultiplier: 1.5,
    freeShipping: true,
    flashSaleEarlyMinutes: 30,
  },
  {
    name: 'platinum',
    minGrowth: 2_000_000,
    memberDiscountPercent: 8,
    pointsMultiplier: 2,
    freeShipping: true,
    flashSaleEarlyMinutes: 60,
  },
  {
    name: 'diamond',
    minGrowth: 5_000_000,
    memberDiscountPercent: 10,
    pointsMultiplier: 3,
    freeShipping: true,
    flashSaleEarlyMinutes: 120,
  },
];

export const DEFAULT_MEMBERSHIP: MembershipTerms = { tiers: DEFAULT_MEMBERSHIP_TIERS, earnRate: 1 };

/** `MEMBERSHIP_TIERS`: a JSON array of tiers replacing the default ladder. */
const tierLadder = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of tiers' });
      return z.NEVER;
    }
  })
  .pipe(tierLadderSchema);

export const configSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(DEFAULT_DB_POOL_SIZE),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  TASK_QUEUE: z.string().default('orders'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Where providers post webhooks (the simulators use it); defaults to http://HOST:PORT. */
  PUBLIC_BASE_URL: z.url().optional(),
  API_KEYS: jsonKeys.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  /** Simulated couriers only: the share of bookings that time out (default: each courier's profile, 0 for SF, 5 % for YTO). Fault-injection runs raise it. */
  SIMULATOR_COURIER_FAILURE_RATE: z.coerce.number().min(0).max(1).optional(),
  /** The wallet simulators' cashier pages (`/sim/{alipay|wechat_pay}/pay/{ref}`) for demos; `off` where real providers are wired. */
  SIMULATOR_PAGES: z.enum(['on', 'off']).default('on'),
  /** `npm start` only: the ports of what it starts itself (the dev server, its Web UI, the embedded PostgreSQL). */
  TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  EMBEDDED_DB_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  /** The worker's Prometheus endpoint (`/metrics`: Temporal SDK + business metrics, `/healthz`); 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  /**
   * OpenTelemetry traces (docs/operations.md, "Traces"): the OTLP/HTTP collector's base URL, the standard
   * OTel variable. Unset or empty (the default) means no tracing and no SDK loaded.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL such as http://127.0.0.1:4318' }).optional(),
  ),
  /** Unset: one per database connection (DB_POOL_SIZE), decision 096. */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(1).optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  /** Cached workflows per worker: each costs memory; an evicted one replays its history on its next task. */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(DEFAULT_MAX_CACHED_WORKFLOWS),
  /** On SIGTERM, in-flight activities get this long to finish before they are cancelled (docs/operations.md). */
  /** A prebuilt workflow bundle's folder (npm run build:workflows); unset: the worker bundles at start. */
  WORKFLOW_BUNDLE_DIR: z.string().min(1).optional(),
  /**
   * `on`: workflow code records where each of its promises was created, for Temporal's stack trace
   * query (the Web UI's "Stack Trace"); off by default, a fifth of the worker's CPU (decision 109).
   * The SDK reads it from the environment (patches/); it is here to be validated and documented.
   */
  WORKFLOW_STACK_TRACES: z.enum(['on', 'off']).default('off'),
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  // Stuck-order detection (GET /v1/ops/orders?stuck=true, api/stuck.ts).
  /** A step is stuck once its activity has made this many attempts. */
  STUCK_ACTIVITY_ATTEMPTS: z.coerce.number().int().min(2).default(5),
  /** A wait is stuck this long after its deadline passed without the order moving. */
  STUCK_WAIT_GRACE_SECONDS: z.coerce.number().int().min(0).default(300),
  /** A shipment on its way is stuck after this long without a tracking event (default 48 h). */
  STUCK_TRACKING_SILENCE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(48 * 3600),
  /** Running orders whose record has not moved for this long are examined in Temporal. */
  STUCK_QUIET_SECONDS: z.coerce.number().int().min(0).default(60),
  /** A refund still unconfirmed by its provider this long after the decision is stuck (default 1 h, two confirmation windows). */
  STUCK_REFUND_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** At most this many quiet orders are examined in Temporal per request. */
  STUCK_SCAN_LIMIT: z.coerce.number().int().min(1).max(5000).default(200),
  /** AES-256-GCM keys of the payload codec (platform/codec.ts); old ones stay listed to decrypt old histories. */
  PAYLOAD_KEYS: payloadKeys.prefault(DEV_PAYLOAD_KEYS),
  /** The key that encrypts new payloads; defaults to the last one listed. */
  PAYLOAD_KEY_ID: z.string().optional(),
  /**
   * Temporal Web UI's identity provider (docs/security.md, "Payload encryption"): /codec also accepts its
   * access tokens, which the UI forwards, from this issuer for this audience, carrying CODEC_OIDC_CLAIM.
   */
  CODEC_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  CODEC_OIDC_AUDIENCE: z.string().min(1).optional(),
  /** `claim=value`: the token's claim (a string or a list) must hold the value, e.g. `groups=support`. */
  CODEC_OIDC_CLAIM: z
    .string()
    .regex(/^[\w.:-]+=.+$/, 'must be <claim>=<value>, e.g. groups=support')
    .optional(),
  /** Reconciliation with the providers' books (workers/schedules.ts): how often, and how old a record must be. */
  RECONCILIATION_INTERVAL_SECONDS: z.coerce.number().int().min(10).default(3600),
  RECONCILIATION_SETTLE_SECONDS: z.coerce.number().int().min(0).default(300),
  /** How often a worker drains the analytics dirty queue (workers/analytics.ts); reads refresh as well. */
  ANALYTICS_REFRESH_MS: z.coerce.number().int().min(100).default(5000),
  /** Idempotency keys are remembered this long (default 72 h); a retry after that is a new request (docs/api.md). */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(72),
  /** Outbound events (with their deliveries and attempts) are kept this long once no endpoint waits for them (docs/notifications.md). */
  WEBHOOK_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How often a worker deletes what has outlived its retention (workers/housekeeping.ts). */
  HOUSEKEEPING_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(3600),
  /**
   * Promotions, shipping fees, membership benefits, coupons and points price quotes and orders (docs/pricing.md,
   * decision 081). `off` is the operator's kill switch: list prices, no fee, coupons and points refused (422).
   */
  PRICING_PROMOTIONS: z.enum(['on', 'off']).default('on'),
  // Customer and merchant notices (docs/notifications.md).
  /** Simulated SMS / email / in-app gateways: the share of sends that time out (half after sending) and that answer 5xx. */
  SIMULATOR_NOTIFIER_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  SIMULATOR_NOTIFIER_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  /** A gateway silent this long is treated as timed out; the retry carries the same idempotency key. */
  NOTICE_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** How often the dispatcher scans for merchant SLA warnings and low stock. */
  NOTICE_SCAN_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(60),
  /** A merchant is warned this long before its confirmation or shipping deadline passes (default 2 h). */
  NOTICE_SLA_WARNING_LEAD_SECONDS: z.coerce.number().int().min(1).default(7200),
  /** A merchant is told when a SKU's available stock in a warehouse drops below this. */
  NOTICE_LOW_STOCK_THRESHOLD: z.coerce.number().int().min(1).max(1_000_000).default(5),
  /** Points spent at checkout (docs/pricing.md): this many points are worth one currency unit (100 minor units). */
  POINTS_REDEEM_RATE: z.coerce.number().int().min(1).max(10000).default(100),
  /** An order may pay at most this share of its goods (after discounts) with points. */
  POINTS_REDEEM_MAX_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
  /** Points earned at completion per point of the base (one per currency unit paid), before the tier's multiplier. */
  POINTS_EARN_RATE: z.coerce.number().int().min(1).max(100).default(1),
  MEMBERSHIP_TIERS: tierLadder.optional(),
  ...webhookConfig,
});

export type Config = z.infer<typeof configSchema> & {
  apiKeys: ApiKey[];
  membership: MembershipTerms;
  publicBaseUrl: string;
  payloadKeys: PayloadKeys;
};

/** Reads the environment once at start; every wrong value is reported with its variable name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const oidc = [c.CODEC_OIDC_ISSUER, c.CODEC_OIDC_AUDIENCE, c.CODEC_OIDC_CLAIM];
  if (oidc.some(Boolean) && !oidc.every(Boolean))
    throw new Error(
      'Invalid configuration:\n  CODEC_OIDC_ISSUER, CODEC_OIDC_AUDIENCE and CODEC_OIDC_CLAIM go together: set all three or none',
    );
  const activeKeyId = c.PAYLOAD_KEY_ID ?? [...c.PAYLOAD_KEYS.keys()].at(-1)!;
  if (!c.PAYLOAD_KEYS.has(activeKeyId))
    throw new Error(`Invalid configuration:\n  PAYLOAD_KEY_ID: "${activeKeyId}" is not a key id of PAYLOAD_KEYS`);
  return {
    ...c,
    apiKeys: c.API_KEYS ?? DEV_API_KEYS,
    membership: { tiers: c.MEMBERSHIP_TIERS ?? DEFAULT_MEMBERSHIP_TIERS, earnRate: c.POINTS_EARN_RATE },
    publicBaseUrl: c.PUBLIC_BASE_URL ?? `http://${c.HOST}:${c.PORT}`,
    payloadKeys: { keys: c.PAYLOAD_KEYS, activeKeyId },
  };
}
