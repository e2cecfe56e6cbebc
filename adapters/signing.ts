import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (docs/security.md): header `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the signed text, so a captured request cannot be replayed outside the tolerance.
 */

export const SIGNATURE_HEADER = 'x-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

function hmacHex(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

const nowInSeconds = () => Math.floor(Date.now() / 1000);

/** The header value for `rawBody`, signed now (or at `nowSeconds`, for tests). */
export function signWebhook(secret: string, rawBody: string | Buffer, nowSeconds: number = nowInSeconds()): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

/**
 * Checks a signature header against the raw body as received (never a re-serialised JSON).
 * Several `v1=` entries are accepted so a provider can sign with an old and a new secret while rotating.
 */
export function verifyWebhookSignature(
  header: string | undefined | null,
  rawBody: string | Buffer,
  secret: string,
  {
    toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
    nowSeconds = nowInSeconds(),
  }: { toleranceSeconds?: number; nowSeconds?: number } = {},
): SignatureCheck {
  if (!header || !header.trim()) return { ok: false, reason: 'missing' };

  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return { ok: false, reason: 'malformed' };
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, v2, ...) are ignored, as providers add them over time.
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };

  // Both directions: an old timestamp is a replay, a future one a forged or badly skewed clock.
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };

  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  // timingSafeEqual throws on different lengths; the regex above already pins 32 bytes, this keeps it safe anyway.
  const matches = signatures.some((s) => s.length === expected.length && timingSafeEqual(s, expected));
  return matches ? { ok: true } : { ok: false, reason: 'mismatch' };
}
