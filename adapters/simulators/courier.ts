import { randomUUID } from 'node:crypto';
import type { LogisticsWebhook, TrackingEventType } from '../../domain';
import type { Db } from '../../store/db';
import { ProviderRejectedError, ProviderTimeoutError, type BookingRequest, type Courier } from '../types';
import { latency, newReference, recordOnce, replay, type SimulatorOptions } from './books';
import { postSigned, type Deliver } from './http';

export interface CourierOptions extends SimulatorOptions {
  /** Probability in [0, 1] that a booking call times out (half before booking, half after: response lost). */
  failureRate?: number;
  /** Where the courier posts its own tracking events (the parcel coming back), and how it signs them. */
  webhookBaseUrl?: string;
  secret?: string;
  deliver?: Deliver;
  /** How long after a return request the courier reports `returned_to_sender`. */
  returnDelayMs?: number;
  /** Tracking number prefix; defaults per courier (TRACKING_PREFIXES), else the name's first two letters. */
  trackingPrefix?: string;
  /** Base of the simulator's own pages (shipping labels). */
  simulatorBaseUrl?: string;
}

export const TRACKING_PREFIXES: Record<string, string> = { 'sf-express': 'SF', yto: 'YT' };

type Booking = { trackingNumber: string; labelUrl: string };

/** A courier's booking API: tracking numbers are `<prefix>` + 12 digits, one per idempotency key. */
export class SimulatedCourier implements Courier {
  constructor(
    readonly name: string,
    private readonly db: Db,
    private readonly options: CourierOptions = {},
  ) {}

  /** While true, every booking times out before booking anything (a courier outage). */
  outage = false;

  private get random(): () => number {
    return this.options.random ?? Math.random;
  }

  private trackingNumber(): string {
    const prefix =
      this.options.trackingPrefix ??
      TRACKING_PREFIXES[this.name] ??
      this.name
        .replace(/[^a-z]/gi, '')
        .slice(0, 2)
        .toUpperCase();
    let digits = '';
    for (let i = 0; i < 12; i++) digits += Math.floor(this.random() * 10) % 10;
    return prefix + digits;
  }

  async book(req: BookingRequest): Promise<Booking> {
    await latency(this.options);
    if (this.outage)
      throw new ProviderTimeoutError(`${this.name} is unavailable: booking ${req.shipmentId} timed out (not booked)`);
    const fails = this.random() < (this.options.failureRate ?? 0);
    const lostAfterBooking = fails && this.random() < 0.5;
    if (fails && !lostAfterBooking)
      throw new ProviderTimeoutError(
        `${this.name} booking timed out for ${req.shipmentId} (not booked; retry with the same key)`,
      );

    const base = (this.options.simulatorBaseUrl ?? 'http://localhost:3000').replace(/\/$/, '');
    const { record } = await recordOnce(this.db, this.name, req.idempotencyKey, () => {
      const trackingNumber = this.trackingNumber();
      const labelUrl = `${base}/sim/couriers/${this.name}/labels/${trackingNumber}.pdf`;
      return {
        kind: 'booking',
        reference: trackingNumber,
        orderId: req.orderId,
        amount: req.codAmount ?? null, // cash to collect at the door, if any
        status: 'booked',
        response: { trackingNumber, labelUrl, shipmentId: req.shipmentId, warehouseId: req.warehouseId },
      };
    });
    if (lostAfterBooking)
      throw new ProviderTimeoutError(
        `${this.name} booking timed out for ${req.shipmentId} (it may be booked; retry with the same key)`,
      );
    const { trackingNumber, labelUrl } = replay<Booking>(record);
    return { trackingNumber, labelUrl };
  }

  async cancelBooking(req: { idempotencyKey: string; trackingNumber: string }): Promise<void> {
    await latency(this.options);
    const booking = await this.db.simulatorRecord.findUnique({ where: { reference: req.trackingNumber } });
    if (!booking || booking.provider !== this.name || booking.kind !== 'booking') {
      throw new ProviderRejectedError('unknown_tracking_number', `${this.name} has no booking ${req.trackingNumber}`);
    }
    await recordOnce(this.db, this.name, req.idempotencyKey, () => ({
      kind: 'booking_cancel',
      reference: newReference('cx'),
      orderId: booking.orderId,
      status: 'cancelled',
      response: { trackingNumber: req.trackingNumber },
    }));
    await this.db.simulatorRecord.updateMany({
      where: { reference: req.trackingNumber, status: 'booked' },
      data: { status: 'cancelled' },
    });
  }

  /** Accepts the return once per key, then reports the parcel back at the warehouse a little later, like a real courier. */
  async returnToSender(req: { idempotencyKey: string; trackingNumber: string }): Promise<void> {
    await latency(this.options);
    const booking = await this.db.simulatorRecord.findUnique({ where: { reference: req.trackingNumber } });
    if (!booking || booking.provider !== this.name || booking.kind !== 'booking') {
      throw new ProviderRejectedError('unknown_tracking_number', `${this.name} has no booking ${req.trackingNumber}`);
    }
    const { inserted } = await recordOnce(this.db, this.name, req.idempotencyKey, () => ({
      kind: 'return_request',
      reference: newReference('rt'),
      orderId: booking.orderId,
      status: 'returning',
      response: { trackingNumber: req.trackingNumber },
    }));
    const { webhookBaseUrl, secret } = this.options;
    if (!inserted || !webhookBaseUrl || !secret) return;
    const event = buildTrackingEvent({
      trackingNumber: req.trackingNumber,
      type: 'returned_to_sender',
      location: 'sender warehouse',
    });
    setTimeout(() => {
      sendTrackingEvent(event, { courier: this.name, webhookBaseUrl, secret, deliver: this.options.deliver }).catch(
        () => undefined,
      );
    }, this.options.returnDelayMs ?? 50);
  }
}

export interface TrackingEventInput {
  trackingNumber: string;
  type: TrackingEventType;
  location?: string;
  signedBy?: string;
  codCollected?: { amount: number; currency: string };
  /** Defaults to now; pass an older time to simulate a late event. */
  occurredAt?: string;
  /** Defaults to a fresh id; reuse one to simulate a duplicate. */
  eventId?: string;
}

/** A logistics webhook body (docs/api.md). */
export function buildTrackingEvent(input: TrackingEventInput): LogisticsWebhook {
  const { eventId = `trk_${randomUUID()}`, occurredAt = new Date().toISOString(), ...rest } = input;
  const event: LogisticsWebhook = { eventId, occurredAt, trackingNumber: rest.trackingNumber, type: rest.type };
  if (rest.location !== undefined) event.location = rest.location;
  if (rest.signedBy !== undefined) event.signedBy = rest.signedBy;
  if (rest.codCollected !== undefined) event.codCollected = rest.codCollected;
  return event;
}

/** Signs and posts a tracking event to <webhookBaseUrl>/v1/webhooks/logistics/<courier>; returns each delivery's HTTP status. */
export function sendTrackingEvent(
  event: LogisticsWebhook,
  opts: { courier: string; webhookBaseUrl: string; secret: string; deliver?: Deliver; duplicate?: boolean },
): Promise<number[]> {
  return postSigned({
    url: `${opts.webhookBaseUrl.replace(/\/$/, '')}/v1/webhooks/logistics/${opts.courier}`,
    payload: event,
    secret: opts.secret,
    deliver: opts.deliver,
    times: opts.duplicate ? 2 : 1,
  });
}
