import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

/**
 * The typed HTTP client of the engine's API: openapi-fetch over the types openapi-typescript
 * generates from /openapi.json (`npm run api:client`; CI fails when they are stale). Paths, bodies,
 * parameters and answers are checked by the compiler against the document the server serves.
 */
export type { components, operations, paths };
export type ApiClient = Client<paths>;
export type Schemas = components['schemas'];

export function createApiClient(
  baseUrl: string,
  opts: { apiKey?: string; fetch?: ClientOptions['fetch']; Request?: ClientOptions['Request'] } = {},
): ApiClient {
  return createClient<paths>({
    baseUrl,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.Request ? { Request: opts.Request } : {}),
    headers: opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {},
  });
}

/** `Authorization` for one call made with another key than the client's. */
export const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
