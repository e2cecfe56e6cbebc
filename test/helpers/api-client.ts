import type { FastifyInstance } from 'fastify';
import { createApiClient, type ApiClient } from '../../api-client';

/** A fetch that hands each request to app.inject(): the generated client against the in-process API. */
export function injectFetch(app: FastifyInstance): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    const res = await app.inject({
      method: req.method as 'GET' | 'POST' | 'PUT',
      url: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      ...(body ? { payload: body } : {}),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    return new Response(res.rawPayload.length ? res.rawPayload : null, { status: res.statusCode, headers });
  };
}

/** The typed client (api-client/) of a test's stack, calling with `apiKey` unless a call says otherwise. */
export const typedClient = (app: FastifyInstance, apiKey: string): ApiClient =>
  createApiClient('http://engine.test', { apiKey, fetch: injectFetch(app) });
