import type { Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EncryptionCodec } from '../../platform/codec';
import type { AppDeps } from '../deps';
import { createOidcVerifier, looksLikeJwt } from '../oidc';
import { problems } from '../problem';
import type { Define } from '../route';
import { codecPayloadsSchema } from '../schemas';

/**
 * Temporal's remote codec protocol (the Web UI's and the CLI's `--codec-endpoint`): payloads in
 * proto3 JSON form (bytes as base64) in, the same form out. Only support staff may read decrypted
 * PII (a support API key, or the Web UI's own token when CODEC_OIDC_* is set); the browser calls it
 * cross-origin from Temporal's Web UI, so that one origin gets CORS.
 */
const base64 = z
  .string()
  .max(4_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadJson = z.object({ metadata: z.record(z.string().max(200), base64).optional(), data: base64.optional() });
const codecBody = z.object({ payloads: z.array(payloadJson).max(1000) });
type CodecBody = z.infer<typeof codecBody>;

const fromJson = (p: CodecBody['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  ),
  data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';

export function codecRoutes({ config }: AppDeps, define: Define, app: FastifyInstance) {
  const codec = new EncryptionCodec(config.payloadKeys);
  const uiOrigin = new URL(config.TEMPORAL_UI_URL).origin;

  // CORS for the Web UI's origin only, on every answer of the codec (errors included, so the UI can show them).
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/codec/')) return;
    void reply.header('Vary', 'Origin');
    if (req.headers.origin === uiOrigin)
      void reply.header('Access-Control-Allow-Origin', uiOrigin).header('Access-Control-Allow-Credentials', 'true');
  });
  app.options('/codec/:operation', { schema: { hide: true } }, async (req, reply) => {
    if (req.headers.origin !== uiOrigin)
      throw problems.forbidden(`cross-origin calls are allowed from ${uiOrigin} only`);
    void reply
      .status(204)
      .header('Access-Control-Allow-Methods', 'POST')
      .header('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS)
      .header('Access-Control-Max-Age', '600');
    return reply.send();
  });

  // The Web UI's own access token, when the UI signs its users in (decision 077); API keys as before.
  if (config.CODEC_OIDC_ISSUER && config.CODEC_OIDC_AUDIENCE && config.CODEC_OIDC_CLAIM) {
    const verify = createOidcVerifier({
      issuer: config.CODEC_OIDC_ISSUER,
      audience: config.CODEC_OIDC_AUDIENCE,
      claim: config.CODEC_OIDC_CLAIM,
    });
    app.addHook('preHandler', async (req) => {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (req.url.startsWith('/codec/') && token && looksLikeJwt(token)) req.verifiedCaller = await verify(token);
    });
  }

  for (const operation of ['encode', 'decode'] as const) {
    define<CodecBody, undefined, undefined>({
      method: 'POST',
      // Encodes or decodes what it is sent: it changes nothing, so a retry is always safe.
      idempotency: { via: 'none' },
      url: `/codec/${operation}`,
      operationId: `${operation}Payloads`,
      response: { schema: codecPayloadsSchema },
      summary:
        operation === 'decode'
          ? "Decrypts Temporal payloads for Temporal's Web UI (remote codec protocol)"
          : 'Encrypts Temporal payloads (remote codec protocol)',
      tags: ['codec'],
      auth: ['support'],
      body: codecBody,
      async handler({ body }) {
        const payloads = body.payloads.map(fromJson);
        try {
          return { payloads: (await codec[operation](payloads)).map(toJson) };
        } catch (err) {
          throw problems.unprocessable(`cannot ${operation} these payloads: ${(err as Error).message}`);
        }
      },
    });
  }
}
