// The Web UI's codec path (decision 077): Temporal's Web UI forwards its own user's access token to
// /codec, never an API key. With CODEC_OIDC_* set, a token signed by that issuer for that audience and
// carrying the configured claim decodes; anything else is refused. The issuer here is a real HTTP
// server publishing its discovery document and keys. Locally, without sign-in, scripts/codec-relay.ts.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startCodecRelay } from '../../scripts/codec-relay';
import { KEYS, useStack, type StackOptions } from '../helpers/stack';
import { expectOk, expectProblem, send } from './api-helpers';

const UI = 'http://temporal-ui.test:8233';
const opts: StackOptions = { worker: false };
let issuer: string;
let signingKey: CryptoKey;
let server: Server;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  signingKey = privateKey;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  server = createServer((req, res) => {
    const body = req.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks` } : jwks;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  opts.env = {
    TEMPORAL_UI_URL: UI,
    CODEC_OIDC_ISSUER: issuer,
    CODEC_OIDC_AUDIENCE: 'temporal-ui',
    CODEC_OIDC_CLAIM: 'groups=support',
  };
});
const stack = useStack(opts);
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** An access token as the identity provider would issue it to a Web UI user. */
function token(claims: Record<string, unknown>, { audience = 'temporal-ui', expiresIn = '5m' } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject('ui-user-1')
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(signingKey);
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const payload = { metadata: { encoding: b64('json/plain') }, data: b64('"+86 139 0000 0000"') };

test("a support member's UI token decodes what the engine encrypted", async () => {
  const sealed = expectOk(await send(stack.app, 'POST', '/codec/encode', KEYS.support, { payloads: [payload] }));
  const uiToken = await token({ groups: ['staff', 'support'] });
  const decoded = expectOk(await send(stack.app, 'POST', '/codec/decode', uiToken, { payloads: sealed.payloads }));
  expect(decoded.payloads).toEqual([payload]);
});

test('a token without the claim is 403; another audience, an expired or a forged token is 401', async () => {
  const body = { payloads: [payload] };
  expectProblem(
    await send(stack.app, 'POST', '/codec/decode', await token({ groups: ['staff'] }), body),
    403,
    '/problems/forbidden',
  );
  const wrongAudience = await token({ groups: ['support'] }, { audience: 'another-app' });
  expectProblem(await send(stack.app, 'POST', '/codec/decode', wrongAudience, body), 401, '/problems/unauthorized');
  const expired = await token({ groups: ['support'] }, { expiresIn: '-1m' });
  expectProblem(await send(stack.app, 'POST', '/codec/decode', expired, body), 401, '/problems/unauthorized');
  const { privateKey: otherKey } = await generateKeyPair('RS256');
  const forged = await new SignJWT({ groups: ['support'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience('temporal-ui')
    .setExpirationTime('5m')
    .sign(otherKey);
  expectProblem(await send(stack.app, 'POST', '/codec/decode', forged, body), 401, '/problems/unauthorized');
});

test('the token opens /codec only: other routes still want an API key', async () => {
  const uiToken = await token({ groups: ['support'] });
  const res = await stack.app.inject({
    method: 'GET',
    url: '/v1/ops/orders',
    headers: { authorization: `Bearer ${uiToken}` },
  });
  expectProblem(res, 401, '/problems/unauthorized');
});

test('locally, the codec relay lets the sign-in-less Web UI decode: it adds the support key, CORS unchanged', async () => {
  const api = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  const relay = await startCodecRelay({ target: api, key: KEYS.support, port: 0 });
  try {
    const sealed = expectOk(await send(stack.app, 'POST', '/codec/encode', KEYS.support, { payloads: [payload] }));
    const call = (base: string) =>
      fetch(`${base}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: UI },
        body: JSON.stringify({ payloads: sealed.payloads }),
      });
    expect((await call(`${api}/codec`)).status).toBe(401); // the UI alone sends no key
    const relayed = await call(relay.url);
    expect(relayed.status).toBe(200);
    expect(relayed.headers.get('access-control-allow-origin')).toBe(UI);
    expect(((await relayed.json()) as { payloads: unknown[] }).payloads).toEqual([payload]);
    const preflight = await fetch(`${relay.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
  } finally {
    await relay.close();
  }
});
