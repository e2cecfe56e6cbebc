import { createHmac, randomBytes } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { hostOf, isPrivateAddress, urlRefusal, type UrlPolicy } from './url-guard';

/**
 * Outbound events to subscribers, signed per the Standard Webhooks specification
 * (docs/notifications.md, "Outbound events"): `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the key is the
 * base64 after `whsec_`. Node's HMAC signs (a fifth of the CPU of the `standardwebhooks` library's
 * JavaScript SHA-256); tests verify every signature with that library, which receivers use.
 */

/** A new subscription secret: 32 random bytes, `whsec_` + base64 (the specification's format). */
export const generateSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * One `v1,<sig>` per secret, space-separated as the specification allows: during a rotation's
 * overlap (decision 074) a receiver holding either the new or the previous secret accepts it.
 */
export function signedHeaders(secrets: string | readonly string[], eventId: string, body: string, at = new Date()) {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signed = `${eventId}.${timestamp}.${body}`;
  const signatures = [secrets].flat().map((secret) => `v1,${hmacBase64(secret, signed)}`);
  return { 'webhook-id': eventId, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}

/** The specification's key is the base64 after `whsec_` (a secret without the prefix is all base64). */
const hmacBase64 = (secret: string, content: string) =>
  createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
    .update(content)
    .digest('base64');

export interface SendResult {
  statusCode?: number;
  /** The answer's first bytes (kept in the delivery log). */
  responseBody?: string;
  error?: string;
  durationMs: number;
}

export interface SendRequest {
  url: string;
  /** The current secret first, then the previous one during a rotation's overlap. */
  secrets: readonly string[];
  eventId: string;
  body: string;
  timeoutMs: number;
  policy: UrlPolicy;
}

const KEPT_BODY_BYTES = 1024;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup that refuses private addresses at connect time: the address checked is the address
 * connected to, so a name re-pointed after the subscription was checked is still refused.
 */
function guardedLookup(policy: UrlPolicy, host: string) {
  const open = policy.allowPrivate || policy.allowedHosts.includes(host);
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = open ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(new Error(`refused: ${hostname} resolves to a private address (${bad.address})`), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** One signed POST; never throws: a refusal, a timeout or a broken connection is an `error`. */
export async function sendSigned(req: SendRequest): Promise<SendResult> {
  const started = Date.now();
  const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({ ...r, durationMs: Date.now() - started });
  const url = new URL(req.url);
  // IP literals are never looked up, so they are checked here; names in the lookup above.
  if (isIP(hostOf(url))) {
    const refusal = await urlRefusal(req.url, req.policy);
    if (refusal) return done({ error: `refused: ${refusal}` });
  }
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'order-fulfillment-engine-webhooks/1',
    ...signedHeaders(req.secrets, req.eventId, req.body),
  };
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    // Whichever comes first (answer, error, close, time-out) settles the attempt, once.
    const finish = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(r));
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, { method: 'POST', headers, lookup: guardedLookup(req.policy, hostOf(url)) });
    const timer = setTimeout(() => {
      finish({ error: `timed out after ${req.timeoutMs} ms` });
      request.destroy();
    }, req.timeoutMs);
    request.on('error', (err) => finish({ error: err.message || String(err) }));
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < KEPT_BODY_BYTES) chunks.push(chunk.subarray(0, KEPT_BODY_BYTES - kept));
        kept += chunk.length;
      });
      const body = () => Buffer.concat(chunks).toString('utf8');
      res.on('end', () => finish({ statusCode: res.statusCode, responseBody: body() }));
      res.on('error', (err) => finish({ statusCode: res.statusCode, error: err.message }));
      res.on('close', () =>
        finish({ statusCode: res.statusCode, responseBody: body(), error: 'connection closed mid-answer' }),
      );
    });
    request.end(req.body);
  });
}
