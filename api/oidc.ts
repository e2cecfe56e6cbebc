import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Caller } from './auth';
import { problems } from './problem';

/**
 * Access tokens of Temporal Web UI's identity provider, for /codec (decision 077): the UI forwards
 * its user's token, never an API key, so a support member signed in to the UI decodes payloads there.
 * The token must be signed by the issuer's published keys, for the configured audience, unexpired,
 * and carry the configured claim value (e.g. `groups=support`).
 */
export interface OidcOptions {
  issuer: string;
  audience: string;
  /** `claim=value`. */
  claim: string;
}

/** A JWT's shape (three base64url parts, a JSON header): API keys are never mistaken for one. */
export const looksLikeJwt = (token: string) => /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(token);

export function createOidcVerifier(opts: OidcOptions): (token: string) => Promise<Caller> {
  const [claimName, claimValue] = splitClaim(opts.claim);
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  // The issuer's keys are found once through its discovery document (jose caches and refreshes them);
  // a discovery that failed is tried again on the next request.
  const issuerKeys = () => {
    if (!keys) {
      keys = discoverKeys(opts.issuer);
      keys.catch(() => (keys = undefined));
    }
    return keys;
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await issuerKeys(), { issuer: opts.issuer, audience: opts.audience }));
    } catch (err) {
      throw problems.unauthorized(`the identity token was not accepted: ${(err as Error).message}`);
    }
    const held = payload[claimName];
    if (!(Array.isArray(held) ? held.includes(claimValue) : held === claimValue))
      throw problems.forbidden(`the identity token's ${claimName} claim does not include ${claimValue}`);
    return { role: 'support', name: `oidc:${payload.sub ?? 'unknown'}` };
  };
}

async function discoverKeys(issuer: string) {
  const base = issuer.endsWith('/') ? issuer : `${issuer}/`;
  const res = await fetch(new URL('.well-known/openid-configuration', base), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`the issuer's discovery document answered ${res.status}`);
  const { jwks_uri } = (await res.json()) as { jwks_uri?: string };
  if (!jwks_uri) throw new Error("the issuer's discovery document names no jwks_uri");
  return createRemoteJWKSet(new URL(jwks_uri));
}

function splitClaim(claim: string): [string, string] {
  const at = claim.indexOf('=');
  return [claim.slice(0, at), claim.slice(at + 1)];
}
