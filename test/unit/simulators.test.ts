import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { paymentWebhookSchema } from '../../domain';
import { logisticsWebhookSchema } from '../../domain/tracking.schema';
import { createDb, type Db } from '../../store/db';
import { webhookSecret } from '../../adapters/secrets';
import { verifyWebhookSignature } from '../../adapters/signing';
import {
  buildTrackingEvent,
  createSimulatedProviders,
  postSigned,
  sendTrackingEvent,
  SimulatedCourier,
  SimulatedWallet,
  type Deliver,
  type SimulatedProviders,
} from '../../adapters/simulators';
import { ProviderRejectedError, ProviderTimeoutError, type BookingRequest } from '../../adapters/types';
import { scratchDatabase } from '../helpers/scratch-database';

/**
 * Against a real PostgreSQL: a scratch database holding only simulator_records (the migrations are
 * written elsewhere), dropped afterwards.
 */
let db: Db;
let sim: SimulatedProviders;
const calls: Array<{ url: string; body: string; headers: Record<string, string> }> = [];
const deliver: Deliver = async (url, body, headers) => {
  calls.push({ url, body, headers });
  return { status: 200 };
};

let drop: () => Promise<void>;

beforeAll(async () => {
  const scratch = await scratchDatabase('sim_test');
  drop = scratch.drop;
  const client = new Client({ connectionString: scratch.url });
  await client.connect();
  await client.query(`
    CREATE TABLE simulator_records (
      provider        TEXT NOT NULL,
      idempotency_key TEXT NOT NULL,
      kind            TEXT NOT NULL,
      reference       TEXT NOT NULL UNIQUE,
      order_id        TEXT NOT NULL,
      amount          INTEGER,
      status          TEXT NOT NULL,
      response        JSONB NOT NULL,
      created_at      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, idempotency_key)
    );
    CREATE INDEX ON simulator_records (order_id);`);
  await client.end();
  db = createDb(scratch.url, 20);
  // No random courier timeouts here (YTO's profile has some); the failure-rate test sets its own.
  sim = createSimulatedProviders(db, {
    webhookBaseUrl: 'http://engine.test',
    simulatorBaseUrl: 'http://sim.test',
    deliver,
    env: {},
    courierFailureRate: 0,
  });
});

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

beforeEach(() => {
  calls.length = 0;
});

let seq = 0;
const orderId = () => `ord_${++seq}_${randomBytes(3).toString('hex')}`;
const charge = (o: string, token = 'tok_visa', amount = 1000, key = `${o}:charge:1`) =>
  sim.card.charge({ idempotencyKey: key, orderId: o, paymentId: `${o}-p1`, amount, currency: 'CNY', token });
const records = (o: string) => db.simulatorRecord.findMany({ where: { orderId: o } });

describe('card gateway', () => {
  it('returns the first result for the same key', async () => {
    const o = orderId();
    const first = await charge(o);
    expect(first).toEqual({ providerRef: expect.stringMatching(/^ch_/), status: 'captured' });
    expect(await charge(o)).toEqual(first);
    expect(await records(o)).toHaveLength(1);
  });

  it('captures once under 10 concurrent identical charges', async () => {
    const o = orderId();
    const results = await Promise.all(Array.from({ length: 10 }, () => charge(o)));
    expect(new Set(results.map((r) => r.providerRef)).size).toBe(1);
    const rows = await records(o);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'charge', status: 'captured', amount: 1000 });
  });

  it('accepts tok_ok* tokens and rejects unknown ones', async () => {
    await expect(charge(orderId(), 'tok_ok_mastercard')).resolves.toMatchObject({ status: 'captured' });
    await expect(charge(orderId(), 'tok_bogus')).rejects.toMatchObject({
      name: 'ProviderRejectedError',
      code: 'invalid_token',
    });
  });

  it('declines tok_decline, and keeps declining for the same key', async () => {
    const o = orderId();
    await expect(charge(o, 'tok_decline')).rejects.toBeInstanceOf(ProviderRejectedError);
    await expect(charge(o, 'tok_decline')).rejects.toMatchObject({ code: 'card_declined' });
    const rows = await records(o);
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('declined');
  });

  it('tok_timeout: charges, loses the response, and the retry returns the one capture', async () => {
    const o = orderId();
    await expect(charge(o, 'tok_timeout')).rejects.toBeInstanceOf(ProviderTimeoutError);
    const [row] = await records(o);
    expect(row).toMatchObject({ status: 'captured', amount: 1000 });
    const retry = await charge(o, 'tok_timeout');
    expect(retry).toEqual({ providerRef: row.reference, status: 'captured' });
    expect(await charge(o, 'tok_timeout')).toEqual(retry);
    expect(await records(o)).toHaveLength(1);
  });

  it('refuses a key reused for another amount', async () => {
    const o = orderId();
    await charge(o);
    await expect(charge(o, 'tok_visa', 999)).rejects.toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('refunds up to the captured amount, idempotently, even concurrently', async () => {
    const o = orderId();
    const { providerRef } = await charge(o, 'tok_visa', 1000);
    const refund = (n: number, amount: number) =>
      sim.card.refund({
        idempotencyKey: `${o}:refund:${n}`,
        orderId: o,
        paymentId: `${o}-p1`,
        providerRef,
        amount,
        currency: 'CNY',
      });

    const r1 = await refund(1, 600);
    expect(r1).toEqual({ providerRef: expect.stringMatching(/^re_/), status: 'succeeded' });
    expect(await refund(1, 600)).toEqual(r1); // same key: same refund, not a second one
    await expect(refund(2, 500)).rejects.toMatchObject({ code: 'refund_exceeds_capture' });

    // Four distinct refunds of 100 race for the remaining 400: all fit; a fifth does not.
    await Promise.all([3, 4, 5, 6].map((n) => refund(n, 100)));
    await expect(refund(7, 1)).rejects.toMatchObject({ code: 'refund_exceeds_capture' });
    const refunded = (await records(o)).filter((r) => r.kind === 'refund').reduce((t, r) => t + (r.amount ?? 0), 0);
    expect(refunded).toBe(1000);
  });

  it('never lets concurrent refunds together exceed the capture', async () => {
    const o = orderId();
    const { providerRef } = await charge(o, 'tok_visa', 500);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, n) =>
        sim.card.refund({
          idempotencyKey: `${o}:refund:${n}`,
          orderId: o,
          paymentId: `${o}-p1`,
          providerRef,
          amount: 100,
          currency: 'CNY',
        }),
      ),
    );
    expect(outcomes.filter((x) => x.status === 'fulfilled')).toHaveLength(5);
  });

  it('refuses a refund of an unknown payment', async () => {
    const o = orderId();
    await expect(
      sim.card.refund({
        idempotencyKey: `${o}:refund:1`,
        orderId: o,
        paymentId: 'p',
        providerRef: 'ch_nope',
        amount: 1,
        currency: 'CNY',
      }),
    ).rejects.toMatchObject({ code: 'unknown_payment' });
  });
});

describe('card gateway: authorize, capture, void', () => {
  const authorize = (o: string, token = 'tok_visa', amount = 1000) =>
    sim.card.authorize({
      idempotencyKey: `${o}:payment:1`,
      orderId: o,
      paymentId: `${o}-p1`,
      amount,
      currency: 'CNY',
      token,
    });
  const capture = (o: string, providerRef: string, amount: number) =>
    sim.card.capture({
      idempotencyKey: `${o}:capture:1`,
      orderId: o,
      paymentId: `${o}-p1`,
      providerRef,
      amount,
      currency: 'CNY',
    });
  const refund = (o: string, providerRef: string, n: number, amount: number) =>
    sim.card.refund({
      idempotencyKey: `${o}:refund:${n}`,
      orderId: o,
      paymentId: `${o}-p1`,
      providerRef,
      amount,
      currency: 'CNY',
    });

  it('holds the amount without taking it; a refund before capture is refused', async () => {
    const o = orderId();
    const auth = await authorize(o);
    expect(auth).toEqual({ providerRef: expect.stringMatching(/^au_/), status: 'authorized' });
    expect(await authorize(o)).toEqual(auth);
    expect(await records(o)).toEqual([
      expect.objectContaining({ kind: 'authorization', status: 'authorized', amount: 1000 }),
    ]);
    await expect(refund(o, auth.providerRef, 1, 100)).rejects.toMatchObject({ code: 'refund_exceeds_capture' });
    await expect(authorize(orderId(), 'tok_decline')).rejects.toMatchObject({ code: 'card_declined' });
  });

  it('captures at most what was authorized, once; refunds are bounded by the capture', async () => {
    const o = orderId();
    const { providerRef } = await authorize(o);
    await expect(capture(o, providerRef, 1001)).rejects.toMatchObject({ code: 'invalid_amount' });
    // Ten identical captures at once: one capture of 700 (the rest of the authorization is released).
    const results = await Promise.all(Array.from({ length: 10 }, () => capture(o, providerRef, 700)));
    expect(new Set(results.map((r) => r.providerRef))).toEqual(new Set([providerRef]));
    await expect(capture(o, providerRef, 800)).rejects.toMatchObject({ code: 'already_captured' });
    const [row] = await records(o);
    expect(row).toMatchObject({ status: 'captured', response: expect.objectContaining({ capturedAmount: 700 }) });
    await refund(o, providerRef, 1, 700);
    await expect(refund(o, providerRef, 2, 1)).rejects.toMatchObject({ code: 'refund_exceeds_capture' });
    // A captured authorization cannot be voided.
    await expect(sim.card.void({ idempotencyKey: `${o}:void`, orderId: o, providerRef })).rejects.toMatchObject({
      code: 'authorization_captured',
    });
  });

  it('voids an authorization for good: twice is a no-op, a capture afterwards is refused', async () => {
    const o = orderId();
    const { providerRef } = await authorize(o);
    await sim.card.void({ idempotencyKey: `${o}:void`, orderId: o, providerRef });
    await sim.card.void({ idempotencyKey: `${o}:void`, orderId: o, providerRef });
    expect((await records(o))[0].status).toBe('voided');
    await expect(capture(o, providerRef, 1000)).rejects.toMatchObject({ code: 'authorization_voided' });
  });

  it('tok_timeout: the first capture happens but its answer is lost; the retry returns that capture', async () => {
    const o = orderId();
    await expect(authorize(o, 'tok_timeout')).rejects.toBeInstanceOf(ProviderTimeoutError);
    const { providerRef } = await authorize(o, 'tok_timeout');
    await expect(capture(o, providerRef, 1000)).rejects.toBeInstanceOf(ProviderTimeoutError);
    expect((await records(o))[0]).toMatchObject({ status: 'captured' });
    expect(await capture(o, providerRef, 1000)).toEqual({ providerRef, status: 'captured' });
    expect(await records(o)).toHaveLength(1);
  });
});

describe('wallets', () => {
  const inHalfAnHour = () => new Date(Date.now() + 30 * 60_000).toISOString();
  const create = (method: 'wechat_pay' | 'alipay', o: string, expiresAt = inHalfAnHour(), amount = 2599) =>
    sim.wallets[method].createPayment({
      idempotencyKey: `${o}:pay:1`,
      orderId: o,
      paymentId: `${o}-p1`,
      amount,
      currency: 'CNY',
      expiresAt,
    });

  it('returns a QR code for WeChat Pay and a redirect for Alipay, once per key', async () => {
    const o1 = orderId();
    const expiresAt = inHalfAnHour();
    const wx = await create('wechat_pay', o1, expiresAt);
    expect(wx.action).toEqual({ type: 'qr_code', url: `weixin://wxpay/bizpayurl?pr=${wx.providerRef}`, expiresAt });
    expect(await create('wechat_pay', o1, expiresAt)).toEqual(wx);

    const o2 = orderId();
    const ali = await create('alipay', o2, expiresAt);
    expect(ali.action).toEqual({
      type: 'redirect',
      url: `http://sim.test/sim/alipay/pay/${ali.providerRef}`,
      expiresAt,
    });
  });

  it('pay delivers a correctly signed payment.succeeded notification', async () => {
    const o = orderId();
    const { providerRef } = await create('alipay', o);
    const { event, deliveries } = await sim.wallets.alipay.pay(providerRef);
    expect(deliveries).toEqual([200]);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.url).toBe('http://engine.test/v1/webhooks/payments/alipay');
    expect(verifyWebhookSignature(call.headers['x-signature'], call.body, webhookSecret('alipay', {}))).toEqual({
      ok: true,
    });
    expect(verifyWebhookSignature(call.headers['x-signature'], call.body, webhookSecret('wechat_pay', {}))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    const body = paymentWebhookSchema.parse(JSON.parse(call.body));
    expect(body).toEqual(event);
    expect(body).toMatchObject({
      type: 'payment.succeeded',
      orderId: o,
      paymentId: `${o}-p1`,
      amount: 2599,
      currency: 'CNY',
    });
  });

  it('duplicate: true posts the identical event twice; paying again resends the same event', async () => {
    const o = orderId();
    const { providerRef } = await create('wechat_pay', o);
    const first = await sim.wallets.wechat_pay.pay(providerRef, { duplicate: true });
    expect(first.deliveries).toEqual([200, 200]);
    expect(calls).toHaveLength(2);
    expect(calls[0].body).toBe(calls[1].body);
    expect(calls[0].url).toBe('http://engine.test/v1/webhooks/payments/wechat_pay');
    const again = await sim.wallets.wechat_pay.pay(providerRef);
    expect(again.event).toEqual(first.event);
  });

  it('refuses to pay a closed or expired payment, and cannot close a paid one', async () => {
    const closed = orderId();
    const a = await create('wechat_pay', closed);
    await sim.wallets.wechat_pay.closePayment({
      idempotencyKey: `${closed}:close:1`,
      orderId: closed,
      paymentId: `${closed}-p1`,
    });
    await sim.wallets.wechat_pay.closePayment({
      idempotencyKey: `${closed}:close:1`,
      orderId: closed,
      paymentId: `${closed}-p1`,
    });
    await expect(sim.wallets.wechat_pay.pay(a.providerRef)).rejects.toMatchObject({ code: 'payment_closed' });

    const expired = orderId();
    const b = await create('alipay', expired, new Date(Date.now() - 1000).toISOString());
    await expect(sim.wallets.alipay.pay(b.providerRef)).rejects.toMatchObject({ code: 'payment_expired' });

    const paid = orderId();
    const c = await create('alipay', paid);
    await sim.wallets.alipay.pay(c.providerRef);
    await expect(
      sim.wallets.alipay.closePayment({ idempotencyKey: `${paid}:close:1`, orderId: paid, paymentId: `${paid}-p1` }),
    ).rejects.toMatchObject({
      code: 'already_paid',
    });
    expect(calls).toHaveLength(1); // only the paid one notified
  });

  it('refunds only what was paid', async () => {
    const o = orderId();
    const { providerRef } = await create('alipay', o, inHalfAnHour(), 1000);
    const refund = (n: number, amount: number) =>
      sim.wallets.alipay.refund({
        idempotencyKey: `${o}:refund:${n}`,
        orderId: o,
        paymentId: `${o}-p1`,
        providerRef,
        amount,
        currency: 'CNY',
      });
    await expect(refund(1, 100)).rejects.toMatchObject({ code: 'refund_exceeds_capture' }); // not paid yet
    await sim.wallets.alipay.pay(providerRef);
    expect(await refund(2, 1000)).toMatchObject({ status: 'processing' }); // in progress, it already counts against the payment
    await expect(refund(3, 1)).rejects.toMatchObject({ code: 'refund_exceeds_capture' });
    await sim.wallets.alipay.notificationsSettled();
    await expect(refund(3, 1)).rejects.toMatchObject({ code: 'refund_exceeds_capture' }); // and once it succeeded
  });

  describe('refunds confirmed by notification', () => {
    // A wallet of its own: no random duplicates, short delays.
    const wallet = () =>
      new SimulatedWallet('wechat_pay', db, {
        webhookBaseUrl: 'http://engine.test',
        secret: webhookSecret('wechat_pay', {}),
        deliver,
        latencyMs: [0, 0],
        refundDelayMs: [0, 5],
        refundDuplicateRate: 0,
      });
    const paidPayment = async (w: SimulatedWallet, amount = 1000) => {
      const o = orderId();
      const { providerRef } = await w.createPayment({
        idempotencyKey: `${o}:pay:1`,
        orderId: o,
        paymentId: `${o}-p1`,
        amount,
        currency: 'CNY',
        expiresAt: inHalfAnHour(),
      });
      await w.pay(providerRef);
      calls.length = 0;
      const refund = (n: number, amount: number) =>
        w.refund({
          idempotencyKey: `${o}:refund:${n}`,
          orderId: o,
          paymentId: `${o}-p1`,
          providerRef,
          amount,
          currency: 'CNY',
        });
      return { o, refund };
    };
    const refundEvents = () =>
      calls.map((c) => ({
        url: c.url,
        valid: verifyWebhookSignature(c.headers['x-signature'], c.body, webhookSecret('wechat_pay', {})).ok,
        event: paymentWebhookSchema.parse(JSON.parse(c.body)),
      }));

    it('accepts a refund as processing, then posts a signed refund.succeeded naming it; asking again answers succeeded and resends the same event', async () => {
      const w = wallet();
      const { o, refund } = await paidPayment(w);
      const accepted = await refund(1, 400);
      expect(accepted).toEqual({ providerRef: expect.stringMatching(/^re_/), status: 'processing' });
      await w.notificationsSettled();
      const [first, ...rest] = refundEvents();
      expect(rest).toEqual([]);
      expect(first).toMatchObject({ url: 'http://engine.test/v1/webhooks/payments/wechat_pay', valid: true });
      expect(first.event).toMatchObject({
        type: 'refund.succeeded',
        refundId: `${o}:refund:1`,
        paymentId: `${o}-p1`,
        orderId: o,
        amount: 400,
        currency: 'CNY',
      });
      expect((await records(o)).filter((r) => r.kind === 'refund')).toEqual([
        expect.objectContaining({ status: 'succeeded', amount: 400, reference: accepted.providerRef }),
      ]);

      // The same key: the same refund (a query), notified again with the same event id; never a second refund.
      expect(await refund(1, 400)).toEqual({ providerRef: accepted.providerRef, status: 'succeeded' });
      await w.notificationsSettled();
      expect(refundEvents().map((e) => e.event)).toEqual([first.event, first.event]);
      expect((await records(o)).filter((r) => r.kind === 'refund')).toHaveLength(1);
      await expect(refund(1, 300)).rejects.toMatchObject({ code: 'idempotency_key_reused' });
    });

    it('scripted: lost notifications arrive when asked again; duplicates post the same event twice', async () => {
      const w = wallet();
      const { o, refund } = await paidPayment(w);
      w.scriptRefunds(o, { dropNotifications: 1, duplicate: true });
      await refund(1, 1000);
      await w.notificationsSettled();
      expect(calls).toEqual([]); // the first one was lost
      expect((await records(o)).find((r) => r.kind === 'refund')).toMatchObject({ status: 'succeeded' }); // though the refund was done
      expect(await refund(1, 1000)).toMatchObject({ status: 'succeeded' });
      await w.notificationsSettled();
      const events = refundEvents();
      expect(events).toHaveLength(2);
      expect(events[0].event).toEqual(events[1].event);
      expect(events[0].event).toMatchObject({ type: 'refund.succeeded', amount: 1000 });
    });

    it('scripted to fail: refund.failed, and the money is free to refund again', async () => {
      const w = wallet();
      const { o, refund } = await paidPayment(w);
      w.scriptRefunds(o, { outcome: 'failed' });
      await refund(1, 1000);
      await w.notificationsSettled();
      expect(refundEvents().map((e) => e.event)).toEqual([
        expect.objectContaining({ type: 'refund.failed', refundId: `${o}:refund:1`, amount: 1000 }),
      ]);
      expect(await refund(1, 1000)).toMatchObject({ status: 'failed' });
      w.scriptRefunds(o, {});
      expect(await refund(2, 1000)).toMatchObject({ status: 'processing' });
      await w.notificationsSettled();
      expect(
        (await records(o))
          .filter((r) => r.kind === 'refund')
          .map((r) => r.status)
          .sort(),
      ).toEqual(['failed', 'succeeded']);
    });
  });
});

describe('couriers', () => {
  const booking = (o: string, n = 1): BookingRequest => ({
    idempotencyKey: `${o}:book:${n}`,
    orderId: o,
    shipmentId: `${o}-s${n}`,
    warehouseId: 'wh-sh',
    address: {
      recipient: 'Li Lei',
      phone: '13800000000',
      province: 'Shanghai',
      city: 'Shanghai',
      district: 'Pudong',
      line1: '1 Century Ave',
      postalCode: '200120',
    },
    lines: [{ lineNo: 1, sku: 'SKU-1', quantity: 1 }],
  });

  it('books once per key, with per-courier tracking numbers', async () => {
    const o = orderId();
    const results = await Promise.all(Array.from({ length: 5 }, () => sim.couriers['sf-express'].book(booking(o))));
    expect(new Set(results.map((r) => r.trackingNumber)).size).toBe(1);
    expect(results[0].trackingNumber).toMatch(/^SF\d{12}$/);
    expect(results[0].labelUrl).toBe(`http://sim.test/sim/couriers/sf-express/labels/${results[0].trackingNumber}.pdf`);
    expect(await records(o)).toHaveLength(1);
    expect((await sim.couriers.yto.book(booking(o, 2))).trackingNumber).toMatch(/^YT\d{12}$/);
    expect(sim.defaultCourier).toBe('sf-express');
  });

  it('cancels idempotently', async () => {
    const o = orderId();
    const { trackingNumber } = await sim.couriers.yto.book(booking(o));
    await sim.couriers.yto.cancelBooking({ idempotencyKey: `${o}:cancel:1`, trackingNumber });
    await sim.couriers.yto.cancelBooking({ idempotencyKey: `${o}:cancel:1`, trackingNumber });
    const rows = await records(o);
    expect(rows.map((r) => [r.kind, r.status]).sort()).toEqual([
      ['booking', 'cancelled'],
      ['booking_cancel', 'cancelled'],
    ]);
    await expect(
      sim.couriers.yto.cancelBooking({ idempotencyKey: `${o}:cancel:2`, trackingNumber: 'YT000' }),
    ).rejects.toMatchObject({
      code: 'unknown_tracking_number',
    });
  });

  it('times out at the configured failure rate; the retry still gets one booking', async () => {
    const flaky = new SimulatedCourier('sf-express', db, { failureRate: 1, latencyMs: [0, 0] });
    const o = orderId();
    await expect(flaky.book(booking(o))).rejects.toBeInstanceOf(ProviderTimeoutError);
    await expect(flaky.book(booking(o))).rejects.toBeInstanceOf(ProviderTimeoutError);
    const recovered = await sim.couriers['sf-express'].book(booking(o));
    expect(await sim.couriers['sf-express'].book(booking(o))).toEqual(recovered);
    expect((await records(o)).filter((r) => r.kind === 'booking')).toHaveLength(1);
  });

  it('sends signed tracking events, twice when duplicated', async () => {
    const event = buildTrackingEvent({
      trackingNumber: 'SF123456789012',
      type: 'delivered',
      signedBy: 'Li Lei',
      codCollected: { amount: 500, currency: 'CNY' },
    });
    expect(logisticsWebhookSchema.parse(event)).toEqual(event);
    const secret = webhookSecret('sf-express', {});
    const statuses = await sendTrackingEvent(event, {
      courier: 'sf-express',
      webhookBaseUrl: 'http://engine.test/',
      secret,
      deliver,
      duplicate: true,
    });
    expect(statuses).toEqual([200, 200]);
    expect(calls.map((c) => c.url)).toEqual([
      'http://engine.test/v1/webhooks/logistics/sf-express',
      'http://engine.test/v1/webhooks/logistics/sf-express',
    ]);
    expect(JSON.parse(calls[0].body)).toEqual(event);
    expect(verifyWebhookSignature(calls[1].headers['x-signature'], calls[1].body, secret)).toEqual({ ok: true });
  });
});

describe('webhook delivery over HTTP', () => {
  it('posts the signed body, answers with each status, and gives 0 when nobody listens', async () => {
    const received: Array<{ body: string; signature: unknown }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ body, signature: req.headers['x-signature'] });
        res.writeHead(received.length === 1 ? 200 : 503).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/logistics/sf-express`;
    try {
      const payload = { eventId: 'e1', note: '已签收' };
      expect(await postSigned({ url, payload, secret: 's', times: 2 })).toEqual([200, 503]);
      expect(received.map((r) => JSON.parse(r.body))).toEqual([payload, payload]);
      expect(verifyWebhookSignature(received[0].signature as string, received[0].body, 's')).toEqual({ ok: true });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await postSigned({ url, payload: {}, secret: 's' })).toEqual([0]);
  });
});
