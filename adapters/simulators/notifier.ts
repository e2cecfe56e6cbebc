import type { Db } from '../../store/db';
import { ProviderTimeoutError, type NotificationChannel, type NotificationMessage, type Notifier } from '../types';
import { asJson, latency, newReference, recordOnce, type SimulatorOptions } from './books';

export interface NotifierOptions extends SimulatorOptions {
  /** Probability in [0, 1] that a send times out (half of them after the message went out). */
  failureRate?: number;
}

/** An SMS / email / in-app gateway: one message per idempotency key, whatever the retries. */
export class SimulatedNotifier implements Notifier {
  constructor(
    readonly channel: NotificationChannel,
    private readonly db: Db,
    private readonly options: NotifierOptions = {},
  ) {}

  async send(msg: NotificationMessage): Promise<{ providerRef: string }> {
    await latency(this.options);
    const random = this.options.random ?? Math.random;
    const fails = random() < (this.options.failureRate ?? 0);
    const lostAfterSending = fails && random() < 0.5;
    if (fails && !lostAfterSending)
      throw new ProviderTimeoutError(`${this.channel} gateway timed out (not sent; retry with the same key)`);
    const { record } = await recordOnce(this.db, `notify-${this.channel}`, msg.idempotencyKey, () => ({
      kind: 'notification',
      reference: newReference('msg'),
      orderId: msg.orderId ?? '',
      status: 'sent',
      response: asJson({ recipientType: msg.recipientType, recipientId: msg.recipientId, kind: msg.kind }),
    }));
    if (lostAfterSending)
      throw new ProviderTimeoutError(`${this.channel} gateway timed out (it may have sent; retry with the same key)`);
    return { providerRef: record.reference };
  }
}
