import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * Local development only (docs/security.md, "Payload encryption"): Temporal's Web UI without sign-in
 * sends no token to a codec endpoint, and it never sends an API key. This relay, bound to loopback,
 * forwards the UI's codec calls to the API's /codec with a support key added, so the local UI shows
 * decoded payloads. Anyone on the machine can decode through it: never run it anywhere real.
 *
 *   npm run codec:relay   # then UI codec endpoint http://127.0.0.1:8089/codec, "pass access token" off
 */
export interface RelayOptions {
  /** The API's base URL. */
  target: string;
  /** The support API key added to every call. */
  key: string;
  port: number;
}

const FORWARDED = [
  'content-type',
  'origin',
  'x-namespace',
  'access-control-request-method',
  'access-control-request-headers',
];

export async function startCodecRelay(opts: RelayOptions): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    relay(req, opts).then(
      ({ status, headers, body }) => res.writeHead(status, headers).end(body),
      (err: Error) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`codec relay: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/codec`, close: () => new Promise((r) => server.close(() => r())) };
}

async function relay(req: IncomingMessage, opts: RelayOptions) {
  if (!req.url?.startsWith('/codec/')) return { status: 404, headers: {}, body: '' };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = { authorization: `Bearer ${opts.key}` };
  for (const name of FORWARDED) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name];
  const res = await fetch(new URL(req.url, opts.target), {
    method: req.method,
    headers,
    body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
  });
  // The API's own CORS answer (for TEMPORAL_UI_URL's origin only) goes back unchanged.
  const back = Object.fromEntries(
    [...res.headers].filter(([name]) => !/^(content-length|transfer-encoding|connection)$/i.test(name)),
  );
  return { status: res.status, headers: back, body: Buffer.from(await res.arrayBuffer()) };
}

if (require.main === module) {
  startCodecRelay({
    target: process.env.CODEC_RELAY_TARGET ?? 'http://127.0.0.1:3000',
    key: process.env.CODEC_RELAY_KEY ?? 'dev-support-key',
    port: Number(process.env.CODEC_RELAY_PORT ?? 8089),
  }).then(
    (r) => console.log(`codec relay on ${r.url} (local development only): set it as the Web UI's codec endpoint`),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
