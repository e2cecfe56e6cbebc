import type { Address, PaymentAction, ShipmentLine } from '../domain';

/**
 * Provider interfaces, one per family (docs/payments.md). Every call carries a business idempotency key
 * (domain/payments.ts businessKey): repeating a call with the same key returns the first result and
 * never moves money or books a courier twice.
 */

/** A provider call that timed out: it may or may not have happened; retry with the same key. */
export class ProviderTimeoutError extends Error {
  override name = 'ProviderTimeoutError';
}

/** The provider refused for a business reason (decline, unknown payment): do not retry. */
export class ProviderRejectedError extends Error {
  override name = 'ProviderRejectedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ChargeRequest {
  idempotencyKey: string;
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
  token: string;
}

/** A money movement on an existing payment: a refund of a capture, or the capture of an authorization. */
export interface PaymentOperation {
  idempotencyKey: string;
  orderId: string;
  paymentId: string;
  /** The provider's reference of the original payment (the charge, intent or authorization). */
  providerRef: string;
  /** A refund: at most what remains captured. A capture: at most what was authorized (the rest is released). */
  amount: number;
  currency: string;
}

export type RefundRequest = PaymentOperation;

export interface RefundResult {
  providerRef: string;
  status: 'succeeded';
}

export type CaptureRequest = PaymentOperation;

/**
 * Card gateway: authorize at payment, capture at hand-over to the courier (at most what was
 * authorized; the rest is released), void an authorization nothing will be captured from.
 * `charge` (authorize and capture in one call) serves orders paid before authorization existed.
 */
export interface CardGateway {
  /** Resolves with the authorization, or throws ProviderRejectedError (code 'card_declined') / ProviderTimeoutError. */
  authorize(req: ChargeRequest): Promise<{ providerRef: string; status: 'authorized' }>;
  capture(req: CaptureRequest): Promise<{ providerRef: string; status: 'captured' }>;
  void(req: { idempotencyKey: string; orderId: string; providerRef: string }): Promise<void>;
  charge(req: ChargeRequest): Promise<{ providerRef: string; status: 'captured' }>;
  refund(req: RefundRequest): Promise<RefundResult>;
}

export interface CreatePaymentRequest {
  idempotencyKey: string;
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
  expiresAt: string;
}

/** WeChat Pay and Alipay: a payment action for the customer, then an asynchronous signed notification. */
export interface WalletProvider {
  readonly method: 'wechat_pay' | 'alipay';
  createPayment(req: CreatePaymentRequest): Promise<{ providerRef: string; action: PaymentAction }>;
  /** Closes an unpaid payment so a late scan cannot pay it. */
  closePayment(req: { idempotencyKey: string; orderId: string; paymentId: string }): Promise<void>;
  /**
   * Accepts a refund (`processing`); the outcome arrives later as a signed `refund.succeeded` /
   * `refund.failed` notification carrying `refundId` = our idempotency key. Requesting again with the
   * same key answers the recorded refund's status and sends its notification again (a refund query).
   */
  refund(req: RefundRequest): Promise<WalletRefundResult>;
}

/** A wallet's answer to a refund request: accepted and in progress, or the outcome already reached. */
export interface WalletRefundResult {
  providerRef: string;
  status: 'processing' | 'succeeded' | 'failed';
}

export interface BookingRequest {
  idempotencyKey: string;
  orderId: string;
  shipmentId: string;
  warehouseId: string;
  address: Address;
  lines: ShipmentLine[];
  /** Cash to collect at the door for cash-on-delivery orders. */
  codAmount?: number;
}

export interface Courier {
  readonly name: string;
  book(req: BookingRequest): Promise<{ trackingNumber: string; labelUrl: string }>;
  cancelBooking(req: { idempotencyKey: string; trackingNumber: string }): Promise<void>;
  /** After the last failed delivery attempt: bring the parcel back; the courier then reports `returned_to_sender`. */
  returnToSender(req: { idempotencyKey: string; trackingNumber: string }): Promise<void>;
}

export const notificationChannels = ['email', 'sms', 'in_app'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

export interface NotificationMessage {
  /** The outbox row id: the provider sends one message per key, however often we call. */
  idempotencyKey: string;
  recipientType: string;
  recipientId: string;
  kind: string;
  orderId?: string;
  payload: Record<string, unknown>;
}

/** SMS, email and in-app messages (docs/fulfilment.md, notification outbox). */
export interface Notifier {
  readonly channel: NotificationChannel;
  /**
   * Sends a batch in one request, as gateways' batch APIs do (Aliyun's SendBatchSms, Tencent Cloud's
   * SendSms to many numbers, SendGrid's personalizations): each message's reference, in order. Throws
   * when the request failed as a whole (time-out, 5xx): nothing is known, and a retry sends the same
   * keys, which the gateway sends once each.
   */
  sendBatch(msgs: NotificationMessage[]): Promise<Array<{ providerRef: string }>>;
}

export interface Providers {
  card: CardGateway;
  wallets: Record<'wechat_pay' | 'alipay', WalletProvider>;
  couriers: Record<string, Courier>;
  defaultCourier: string;
  notifiers: Record<NotificationChannel, Notifier>;
}
