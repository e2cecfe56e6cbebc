import type { PaymentAction, PaymentWebhook } from '../../domain';
import type { Db } from '../../store/db';
import type { SimulatorRecord } from '../../prisma/generated/client';
import {
  ProviderRejectedError,
  type CreatePaymentRequest,
  type RefundRequest,
  type WalletProvider,
  type WalletRefundResult,
} from '../types';
import { asJson, latency, newReference, recordOnce, recordRefund, type SimulatorOptions } from './books';
import { postSigned, type Deliver } from './http';

export type WalletMethod = 'wechat_pay' | 'alipay';

export interface WalletOptions extends SimulatorOptions {
  /** Where the engine's API listens: notifications go to <webhookBaseUrl>/v1/webhooks/payments/<method>. */
  webhookBaseUrl: string;
  /** The secret this provider signs its notifications with (adapters/secrets.ts). */
  secret: string;
  /** Base of the simulator's own pages (the Alipay cashier redirect). */
  simulatorBaseUrl?: string;
  deliver?: Deliver;
  /** How long after a refund request its outcome is notified, in milliseconds (default 50–500). */
  refundDelayMs?: [number, number];
  /** Probability in [0, 1] that a refund notification is posted twice (default 0.1). */
  refundDuplicateRate?: number;
}

/** How the refunds of one order behave (scriptRefunds): for tests and demos. */
export interface RefundScript {
  /** The provider's outcome; `failed` (the customer's account closed, say) posts `refund.failed`. */
  outcome?: 'succeeded' | 'failed';
  /** This many notifications of each refund are lost before one gets through. */
  dropNotifications?: number;
  /** Every notification that gets through is posted twice. */
  duplicate?: boolean;
}

/** What the provider keeps about one refund (simulator_records.response). */
interface RefundRecord {
  providerRef: string;
  paymentRef: string;
  paymentId?: string;
  currency: string;
  eventId?: string;
  completedAt?: string;
}

/** What the provider keeps about one payment intent (simulator_records.response). */
interface Intent {
  providerRef: string;
  paymentId: string;
  currency: string;
  action: PaymentAction;
  expiresAt: string;
  eventId?: string;
  paidAt?: string;
}

/** A payment as the provider's cashier page shows it to the customer. */
export interface WalletIntentView {
  reference: string;
  orderId: string | null;
  amount: number;
  currency: string;
  status: string;
  expiresAt: string;
}

export interface PayResult {
  event: PaymentWebhook;
  /** HTTP status of each delivery attempt (0 when the request failed). */
  deliveries: number[];
}

/**
 * WeChat Pay or Alipay: createPayment returns what the customer must do; `pay` plays the customer
 * completing it, after which the provider sends a signed asynchronous notification, as the real ones do.
 * Refunds are accepted at once and confirmed later by a signed refund.succeeded / refund.failed
 * notification (scriptRefunds makes an order's refunds fail or lose their notifications).
 */
export class SimulatedWallet implements WalletProvider {
  constructor(
    readonly method: WalletMethod,
    private readonly db: Db,
    private readonly options: WalletOptions,
  ) {}

  private readonly scripts = new Map<string, RefundScript>();
  /** Notifications lost so far, per refund key (RefundScript.dropNotifications). */
  private readonly dropped = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  async createPayment(req: CreatePaymentRequest): Promise<{ providerRef: string; action: PaymentAction }> {
    await latency(this.options);
    if (!Number.isInteger(req.amount) || req.amount <= 0)
      throw new ProviderRejectedError('invalid_amount', `amount must be a positive integer, got ${req.amount}`);
    const { record } = await recordOnce(this.db, this.method, req.idempotencyKey, () => {
      const providerRef = newReference(this.method === 'wechat_pay' ? 'wx' : 'ali');
      const intent: Intent = {
        providerRef,
        paymentId: req.paymentId,
        currency: req.currency,
        action: this.actionFor(providerRef, req.expiresAt),
        expiresAt: req.expiresAt,
      };
      return {
        kind: 'payment_intent',
        reference: providerRef,
        orderId: req.orderId,
        amount: req.amount,
        status: 'pending',
        response: asJson(intent),
      };
    });
    const intent = record.response as unknown as Intent;
    return { providerRef: intent.providerRef, action: intent.action };
  }

  private actionFor(ref: string, expiresAt: string): PaymentAction {
    if (this.method === 'wechat_pay') return { type: 'qr_code', url: `weixin://wxpay/bizpayurl?pr=${ref}`, expiresAt };
    const base = (this.options.simulatorBaseUrl ?? 'http://localhost:3000').replace(/\/$/, '');
    return { type: 'redirect', url: `${base}/sim/alipay/pay/${ref}`, expiresAt };
  }

  /** What the cashier page shows for a payment reference; undefined when this wallet never issued it. */
  async intent(reference: string): Promise<WalletIntentView | undefined> {
    const found = await this.db.simulatorRecord.findUnique({ where: { reference } });
    if (!found || found.provider !== this.method || found.kind !== 'payment_intent') return undefined;
    const intent = found.response as unknown as Intent;
    const { orderId, amount, status } = found;
    return { reference, orderId, amount: amount ?? 0, currency: intent.currency, status, expiresAt: intent.expiresAt };
  }

  /**
   * The customer pays: the intent becomes paid (refused when closed or expired) and the provider posts
   * `payment.succeeded`. Paying an already paid intent sends the same notification again (same event
   * id), as providers resend until acknowledged; `duplicate` posts it twice in a row.
   */
  async pay(reference: string, { duplicate = false }: { duplicate?: boolean } = {}): Promise<PayResult> {
    await latency(this.options);
    const found = await this.db.simulatorRecord.findUnique({ where: { reference } });
    if (!found || found.provider !== this.method || found.kind !== 'payment_intent') {
      throw new ProviderRejectedError('unknown_payment', `no ${this.method} payment ${reference}`);
    }
    const record = found.status === 'pending' ? await this.markPaid(found) : found;
    if (record.status !== 'paid')
      throw new ProviderRejectedError(
        `payment_${record.status}`,
        `${this.method} payment ${reference} is ${record.status}`,
      );

    const intent = record.response as unknown as Intent;
    const event: PaymentWebhook = {
      eventId: intent.eventId!,
      type: 'payment.succeeded',
      paymentId: intent.paymentId,
      orderId: record.orderId,
      amount: record.amount ?? 0,
      currency: intent.currency,
      occurredAt: intent.paidAt!,
    };
    const deliveries = await postSigned({
      url: `${this.options.webhookBaseUrl.replace(/\/$/, '')}/v1/webhooks/payments/${this.method}`,
      payload: event,
      secret: this.options.secret,
      deliver: this.options.deliver,
      times: duplicate ? 2 : 1,
    });
    return { event, deliveries };
  }

  /** pending → paid (or expired) with a conditional update, so a concurrent close or pay cannot both win. */
  private async markPaid(record: SimulatorRecord): Promise<SimulatorRecord> {
    const intent = record.response as unknown as Intent;
    const now = new Date();
    const expired = now.getTime() > Date.parse(intent.expiresAt);
    const paid: Intent = { ...intent, eventId: `evt_${record.reference}_paid`, paidAt: now.toISOString() };
    await this.db.simulatorRecord.updateMany({
      where: { reference: record.reference, status: 'pending' },
      data: expired ? { status: 'expired' } : { status: 'paid', response: asJson(paid) },
    });
    return this.db.simulatorRecord.findUniqueOrThrow({ where: { reference: record.reference } });
  }

  /** Closes the unpaid intent of this payment; a paid one cannot be closed (the caller must refund instead). */
  async closePayment(req: { idempotencyKey: string; orderId: string; paymentId: string }): Promise<void> {
    await latency(this.options);
    const intents = await this.db.simulatorRecord.findMany({
      where: {
        provider: this.method,
        kind: 'payment_intent',
        orderId: req.orderId,
        response: { path: ['paymentId'], equals: req.paymentId },
      },
    });
    // Closing is a state change, idempotent by nature; no intent at all means nothing can be paid.
    await this.db.simulatorRecord.updateMany({
      where: { reference: { in: intents.map((i) => i.reference) }, status: { in: ['pending', 'expired'] } },
      data: { status: 'closed' },
    });
    const after = await this.db.simulatorRecord.findMany({
      where: { reference: { in: intents.map((i) => i.reference) }, status: 'paid' },
    });
    if (after.length > 0)
      throw new ProviderRejectedError('already_paid', `${this.method} payment ${after[0].reference} is already paid`);
  }

  /**
   * Accepts the refund (recorded `processing`, bounded by what was paid, one per idempotency key) and
   * notifies its outcome a little later, signed, sometimes twice. A repeated request with the same key
   * answers the recorded refund's status and notifies its outcome again, as a refund query does.
   */
  async refund(req: RefundRequest): Promise<WalletRefundResult> {
    await latency(this.options);
    const { record } = await recordRefund(
      this.db,
      this.method,
      req,
      (payment) => (payment.kind === 'payment_intent' && payment.status === 'paid' ? (payment.amount ?? 0) : 0),
      'processing',
    );
    this.notifyLater(record.idempotencyKey);
    return { providerRef: record.reference, status: record.status as WalletRefundResult['status'] };
  }

  /** The refunds of this order follow the script from now on (outcome, lost or duplicated notifications). */
  scriptRefunds(orderId: string, script: RefundScript): void {
    this.scripts.set(orderId, script);
  }

  /** Resolves once every notification scheduled so far has been posted (or lost). */
  async notificationsSettled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private notifyLater(idempotencyKey: string): void {
    const [min, max] = this.options.refundDelayMs ?? [50, 500];
    const random = this.options.random ?? Math.random;
    const delay = min + random() * Math.max(0, max - min);
    const done: Promise<void> = new Promise((resolve) => setTimeout(resolve, delay))
      .then(() => this.completeAndNotify(idempotencyKey))
      .catch(() => undefined) // an unreachable engine: the refund is notified again when requested again
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** processing → the scripted outcome (once, conditionally), then the signed `refund.<outcome>` notification. */
  private async completeAndNotify(idempotencyKey: string): Promise<void> {
    const where = { provider_idempotencyKey: { provider: this.method, idempotencyKey } };
    let record = await this.db.simulatorRecord.findUniqueOrThrow({ where });
    const script = this.scripts.get(record.orderId) ?? {};
    if (record.status === 'processing') {
      const outcome = script.outcome ?? 'succeeded';
      const completed: RefundRecord = {
        ...(record.response as unknown as RefundRecord),
        eventId: `evt_${record.reference}_${outcome}`,
        completedAt: new Date().toISOString(),
      };
      await this.db.simulatorRecord.updateMany({
        where: { reference: record.reference, status: 'processing' },
        data: { status: outcome, response: asJson(completed) },
      });
      record = await this.db.simulatorRecord.findUniqueOrThrow({ where });
    }
    const lost = this.dropped.get(idempotencyKey) ?? 0;
    if (lost < (script.dropNotifications ?? 0)) {
      this.dropped.set(idempotencyKey, lost + 1);
      return;
    }
    const refund = record.response as unknown as RefundRecord;
    const event: PaymentWebhook = {
      eventId: refund.eventId!,
      type: record.status === 'failed' ? 'refund.failed' : 'refund.succeeded',
      paymentId: refund.paymentId ?? '',
      orderId: record.orderId,
      refundId: idempotencyKey,
      amount: record.amount ?? 0,
      currency: refund.currency,
      occurredAt: refund.completedAt!,
    };
    const random = this.options.random ?? Math.random;
    await postSigned({
      url: `${this.options.webhookBaseUrl.replace(/\/$/, '')}/v1/webhooks/payments/${this.method}`,
      payload: event,
      secret: this.options.secret,
      deliver: this.options.deliver,
      times: script.duplicate || random() < (this.options.refundDuplicateRate ?? 0.1) ? 2 : 1,
    });
  }
}
