import { createHmac } from 'node:crypto';
import { webhookSecret, webhookSecretEnvVar } from '../../adapters/secrets';
import { signWebhook, verifyWebhookSignature } from '../../adapters/signing';

const secret = 'whsec_test';
const body = JSON.stringify({ eventId: 'evt_1', type: 'payment.succeeded', amount: 1999 });
const now = 1_700_000_000;

describe('webhook signatures', () => {
  it('signs as t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signWebhook(secret, body, now)).toBe(`t=${now},v1=${expected}`);
  });

  it('accepts a valid signature, within the tolerance either side', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now })).toEqual({ ok: true });
    expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now + 300 })).toEqual({ ok: true });
    expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now - 300 })).toEqual({ ok: true });
    expect(verifyWebhookSignature(header, Buffer.from(body), secret, { nowSeconds: now })).toEqual({ ok: true });
  });

  it('rejects a wrong secret and an altered body as a mismatch', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(header, body, 'other', { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature(header, body.replace('1999', '1'), secret, { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a timestamp changed after signing', () => {
    const forged = signWebhook(secret, body, now).replace(`t=${now}`, `t=${now + 10}`);
    expect(verifyWebhookSignature(forged, body, secret, { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects stale and future timestamps beyond the tolerance', () => {
    const header = signWebhook(secret, body, now);
    expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now + 301 })).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now - 301 })).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now + 30, toleranceSeconds: 10 })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('reports a missing header', () => {
    for (const header of [undefined, null, '', '  ']) {
      expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now })).toEqual({
        ok: false,
        reason: 'missing',
      });
    }
  });

  it('reports malformed headers', () => {
    const v1 = signWebhook(secret, body, now).split(',')[1];
    for (const header of [
      'garbage',
      `t=${now}`,
      v1,
      `t=abc,${v1}`,
      `t=${now},v1=xyz`,
      `t=${now},v1=abcd`,
      `t=${now},t=${now},${v1}`,
      `=1,${v1}`,
    ]) {
      expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now })).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('accepts any of several v1 entries (secret rotation) and ignores unknown schemes', () => {
    const oldSig = signWebhook('old-secret', body, now).split(',')[1];
    const newSig = signWebhook(secret, body, now).split(',')[1];
    const header = `t=${now},${oldSig},v0=whatever,${newSig}`;
    expect(verifyWebhookSignature(header, body, secret, { nowSeconds: now })).toEqual({ ok: true });
    expect(verifyWebhookSignature(header, body, 'old-secret', { nowSeconds: now })).toEqual({ ok: true });
    expect(verifyWebhookSignature(header, body, 'third', { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('defaults to the current time', () => {
    expect(verifyWebhookSignature(signWebhook(secret, body), body, secret)).toEqual({ ok: true });
  });
});

describe('webhook secrets', () => {
  it('reads WEBHOOK_SECRET_<NAME> in upper snake case, else the dev default', () => {
    expect(webhookSecretEnvVar('sf-express')).toBe('WEBHOOK_SECRET_SF_EXPRESS');
    expect(webhookSecretEnvVar('wechat_pay')).toBe('WEBHOOK_SECRET_WECHAT_PAY');
    expect(webhookSecret('sf-express', { WEBHOOK_SECRET_SF_EXPRESS: 's3cret' })).toBe('s3cret');
    expect(webhookSecret('alipay', {})).toBe('dev-secret-alipay');
    expect(webhookSecret('yto', { WEBHOOK_SECRET_YTO: '' })).toBe('dev-secret-yto');
  });
});
