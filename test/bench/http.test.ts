import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiClient } from '../../api-client';
import { lightTransport } from '../../bench/http';

/** A server that records what it was sent and answers what the test set for the path. */
async function recordingServer(answers: Record<string, { status: number; body?: string }>) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const answer = answers[req.url!] ?? { status: 404, body: '{"title":"not here"}' };
      if (answer.body === undefined) return void res.writeHead(answer.status).end();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("the bench driver's transport (bench/http.ts)", () => {
  it('sends the typed call as fetch would and hands back its JSON', async () => {
    const server = await recordingServer({ '/v1/orders': { status: 201, body: '{"id":"ord_1","status":"pending"}' } });
    try {
      const api = createApiClient(server.url, lightTransport);
      const body = { note: '王小明' } as never;
      const { data, error, response } = await api.POST('/v1/orders', {
        params: { header: { 'Idempotency-Key': 'k-1' } },
        headers: { authorization: 'Bearer key' },
        body,
      });
      expect(response.status).toBe(201);
      expect(error).toBeUndefined();
      expect(data).toEqual({ id: 'ord_1', status: 'pending' });
      const [sent] = server.seen;
      expect(sent.method).toBe('POST');
      expect(sent.headers['idempotency-key']).toBe('k-1');
      expect(sent.headers.authorization).toBe('Bearer key');
      expect(sent.headers['content-type']).toBe('application/json');
      expect(JSON.parse(sent.body)).toEqual({ note: '王小明' });
      expect(Number(sent.headers['content-length'])).toBe(Buffer.byteLength(sent.body));
    } finally {
      await server.close();
    }
  });

  it('gives a problem as the error and an empty answer as no data', async () => {
    const server = await recordingServer({ '/v1/orders/ord_2/confirm-receipt': { status: 204 } });
    try {
      const api = createApiClient(server.url, lightTransport);
      const missing = await api.GET('/v1/orders/{id}', { params: { path: { id: 'ord_x' } } });
      expect(missing.response.status).toBe(404);
      expect(missing.error).toEqual({ title: 'not here' });
      const empty = await api.POST('/v1/orders/{id}/confirm-receipt', { params: { path: { id: 'ord_2' } } });
      expect(empty.response.status).toBe(204);
      expect(empty.data).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('stops a call when its signal aborts', async () => {
    const server = await recordingServer({});
    try {
      const api = createApiClient(server.url, lightTransport);
      const abort = new AbortController();
      abort.abort();
      await expect(
        api.GET('/v1/orders/{id}', { params: { path: { id: 'ord_y' } }, signal: abort.signal }),
      ).rejects.toThrow(/abort/i);
    } finally {
      await server.close();
    }
  });
});
