import type { Db } from '../../store/db';
import { ProviderTimeoutError, type NotificationChannel, type NotificationMessage, type Notifier } from '../types';
import { asJson, latency, newReference, recordEach, type NewRecord, type SimulatorOptions } from './books';

/**
 * How one request goes wrong, as real SMS / email gateways do:
 * - `timeout`: no answer and nothing sent;
 * - `timeout_after_send`: the batch went out but the answer was lost;
 * - `error`: the gateway answers 5xx (throttled, down) and sends nothing;
 * - `slow`: the gateway sends, but answers only after `slowMs` (past the dispatcher's send timeout).
 */
export type NotifierFault = 'timeout' | 'timeout_after_send' | 'error' | 'slow';

export interface NotifierOptions extends SimulatorOptions {
  /** Probability in [0, 1] that a request times out (half of them after the batch went out). */
  failureRate?: number;
  /** Probability in [0, 1] that the gateway refuses with a 5xx (nothing sent). */
  errorRate?: number;
  /** Probability in [0, 1] that the gateway answers only after `slowMs`. */
  slowRate?: number;
  /** How long a slow answer takes (default 30 s). */
  slowMs?: number;
}

export class GatewayError extends Error {
  override name = 'GatewayError';
}

/**
 * An SMS / email / in-app gateway: one message per idempotency key, whatever the retries. It takes a
 * batch per request, and a fault strikes the request, so every message of the batch shares it.
 */
export class SimulatedNotifier implements Notifier {
  /** Faults planted by tests, per idempotency key prefix, used up in order. */
  private readonly planted: Array<{ prefix: string; faults: NotifierFault[] }> = [];

  constructor(
    readonly channel: NotificationChannel,
    private readonly db: Db,
    private readonly options: NotifierOptions = {},
  ) {}

  /** The next requests carrying a message whose key starts with `keyPrefix` fail as listed, one fault per request. */
  plant(keyPrefix: string, ...faults: NotifierFault[]): void {
    this.planted.push({ prefix: keyPrefix, faults: [...faults] });
  }

  /** A fault planted for one of the batch's messages (the first found is used up), else a random one. */
  private faultFor(msgs: NotificationMessage[]): NotifierFault | undefined {
    for (const { idempotencyKey } of msgs) {
      const plan = this.planted.find((p) => idempotencyKey.startsWith(p.prefix) && p.faults.length > 0);
      if (plan) return plan.faults.shift();
    }
    const random = this.options.random ?? Math.random;
    const { failureRate = 0, errorRate = 0, slowRate = 0 } = this.options;
    const r = random();
    if (r < failureRate) return random() < 0.5 ? 'timeout_after_send' : 'timeout';
    if (r < failureRate + errorRate) return 'error';
    if (r < failureRate + errorRate + slowRate) return 'slow';
    return undefined;
  }

  async sendBatch(msgs: NotificationMessage[]): Promise<Array<{ providerRef: string }>> {
    await latency(this.options);
    const fault = this.faultFor(msgs);
    if (fault === 'timeout')
      throw new ProviderTimeoutError(`${this.channel} gateway timed out (not sent; retry with the same keys)`);
    if (fault === 'error') throw new GatewayError(`${this.channel} gateway answered 503 (not sent)`);
    if (fault === 'slow') await new Promise((r) => setTimeout(r, this.options.slowMs ?? 30_000));
    const records = await recordEach(
      this.db,
      `notify-${this.channel}`,
      msgs.map((msg) => ({ idempotencyKey: msg.idempotencyKey, make: () => this.recordOf(msg) })),
    );
    if (fault === 'timeout_after_send')
      throw new ProviderTimeoutError(`${this.channel} gateway timed out (it may have sent; retry with the same keys)`);
    return records.map((record) => ({ providerRef: record.reference }));
  }

  /** The gateway's log line of one message. */
  private recordOf(msg: NotificationMessage): NewRecord {
    const message = (msg.payload.message ?? {}) as Record<string, unknown>;
    return {
      kind: 'notification',
      reference: newReference('msg'),
      orderId: msg.orderId ?? '',
      status: 'sent',
      response: asJson({
        recipientType: msg.recipientType,
        recipientId: msg.recipientId,
        kind: msg.kind,
        // What the recipient read, as the gateway's log keeps it.
        ...(typeof message.text === 'string'
          ? { locale: message.locale, subject: message.subject, text: message.text }
          : {}),
      }),
    };
  }
}
