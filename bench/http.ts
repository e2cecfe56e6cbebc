/**
 * The driver's transport: the typed client (api-client/, openapi-fetch) over node:http with
 * keep-alive sockets instead of the global fetch. The driver shares the 2 cores with the stack it
 * measures, and fetch's WHATWG machinery (Request, Headers, body streams, abort listeners) made up
 * half of the driver's CPU: about 10 ms per lifecycle taken from the stack at saturation
 * (docs/benchmark.md, "A lighter driver"). openapi-fetch only needs what it reads of a request and
 * an answer, so both are given as plain objects here; the calls and their types are unchanged.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

/** What openapi-fetch builds a request from: `new Request(url, init)`. */
class LightRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;

  constructor(
    url: string,
    init: { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: unknown; signal?: AbortSignal },
  ) {
    this.url = url;
    this.method = init.method ?? 'GET';
    this.headers = new Headers(init.headers);
    if (init.body !== undefined && typeof init.body !== 'string')
      throw new TypeError('the bench transport sends string bodies only');
    this.body = init.body;
    this.signal = init.signal;
  }
}

/** What openapi-fetch reads of an answer: status, ok, one header, the body as text or JSON. */
class LightResponse {
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };

  constructor(
    readonly status: number,
    raw: http.IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = { get: (name) => headerValue(raw[name.toLowerCase()]) };
  }

  async text() {
    return this.body;
  }

  async json() {
    return JSON.parse(this.body) as unknown;
  }
}

const headerValue = (v: string | string[] | undefined) =>
  v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;

function send(req: LightRequest): Promise<LightResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => (headers[name] = value));
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const outgoing = http.request(req.url, { method: req.method, headers, agent, signal: req.signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(new LightResponse(res.statusCode ?? 0, res.headers, body)));
      res.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** The options that make an openapi-fetch client use this transport (createApiClient's `transport`). */
export const lightTransport = {
  Request: LightRequest as unknown as typeof Request,
  fetch: ((req: LightRequest) => send(req)) as unknown as typeof fetch,
};
