import {
  advances,
  handedOver,
  isFinalShipmentStatus,
  logisticsWebhookSchema,
  trackingEventTypes,
  type ShipmentStatus,
} from '../../domain';

const T1 = '2025-03-01T08:00:00Z';
const T2 = '2025-03-01T09:00:00Z';
const T3 = '2025-03-01T10:00:00Z';

const ALL_STATUSES: ShipmentStatus[] = [
  'booking',
  'booked',
  'picked_up',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'delivery_failed',
  'returned_to_sender',
  'cancelled',
];
const FINAL: ShipmentStatus[] = ['delivered', 'returned_to_sender', 'cancelled'];

describe('advances', () => {
  it('moves forward along the normal path', () => {
    expect(advances('booked', 'picked_up', T2, T1)).toBe(true);
    expect(advances('picked_up', 'in_transit', T2, T1)).toBe(true);
    expect(advances('in_transit', 'out_for_delivery', T2, T1)).toBe(true);
    expect(advances('out_for_delivery', 'delivered', T2, T1)).toBe(true);
    expect(advances('booked', 'picked_up', T1)).toBe(true);
  });

  it('skips ahead when intermediate events are lost or late', () => {
    expect(advances('booked', 'delivered', T1)).toBe(true);
    expect(advances('picked_up', 'out_for_delivery', T2, T1)).toBe(true);
  });

  it('never goes backwards: delivered then a stale in_transit does not advance', () => {
    expect(advances('delivered', 'in_transit', T3, T2)).toBe(false);
    expect(advances('out_for_delivery', 'in_transit', T3, T2)).toBe(false);
    expect(advances('in_transit', 'picked_up', T3, T2)).toBe(false);
    expect(advances('delivery_failed', 'in_transit', T3, T2)).toBe(false);
    expect(advances('delivery_failed', 'picked_up', T3, T2)).toBe(false);
  });

  it('does not advance on a duplicate of the current status', () => {
    for (const s of ['picked_up', 'in_transit', 'out_for_delivery'] as const) {
      expect(advances(s, s, T2, T2)).toBe(false);
      expect(advances(s, s, T3, T2)).toBe(false);
    }
    // The same failure reported twice (same time) is not a new failure.
    expect(advances('delivery_failed', 'delivery_failed', T2, T2)).toBe(false);
  });

  it('after delivery_failed, a newer out_for_delivery (re-attempt) advances, an older one does not', () => {
    expect(advances('delivery_failed', 'out_for_delivery', T3, T2)).toBe(true);
    expect(advances('delivery_failed', 'out_for_delivery', T1, T2)).toBe(false);
    expect(advances('delivery_failed', 'out_for_delivery', T2, T2)).toBe(false);
  });

  it('accepts a newer delivery_failed while out for delivery, but not a stale one', () => {
    expect(advances('out_for_delivery', 'delivery_failed', T3, T2)).toBe(true);
    expect(advances('out_for_delivery', 'delivery_failed', T1, T2)).toBe(false);
  });

  it('compares occurredAt as instants, not as strings (offsets)', () => {
    // 10:00+08:00 is 02:00Z: older than 03:00Z although it sorts later as text.
    expect(advances('delivery_failed', 'out_for_delivery', '2025-03-01T10:00:00+08:00', '2025-03-01T03:00:00Z')).toBe(
      false,
    );
    expect(advances('delivery_failed', 'out_for_delivery', '2025-03-01T12:00:00+08:00', '2025-03-01T03:00:00Z')).toBe(
      true,
    );
  });

  it('after delivery_failed, delivered or returned_to_sender end the shipment', () => {
    expect(advances('delivery_failed', 'delivered', T3, T2)).toBe(true);
    expect(advances('delivery_failed', 'returned_to_sender', T3, T2)).toBe(true);
  });

  it.each(FINAL)('never advances from the final status %s', (current) => {
    for (const event of trackingEventTypes) {
      expect(advances(current, event, T3, T1)).toBe(false);
      expect(advances(current, event, T3)).toBe(false);
    }
  });

  it('never moves into a status ranked lower than the current one (exhaustive over non-final statuses)', () => {
    const order: ShipmentStatus[] = ['booking', 'booked', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered'];
    for (let i = 0; i < order.length; i++) {
      for (let j = 0; j <= i; j++) {
        const event = order[j];
        if (!(trackingEventTypes as readonly string[]).includes(event)) continue;
        expect(advances(order[i], event as (typeof trackingEventTypes)[number], T3, T2)).toBe(false);
      }
    }
  });
});

describe('isFinalShipmentStatus', () => {
  it.each(ALL_STATUSES)('%s', (s) => {
    expect(isFinalShipmentStatus(s)).toBe(FINAL.includes(s));
  });
});

describe('handedOver', () => {
  it('is false before pick-up and for a cancelled booking', () => {
    expect(handedOver('booking')).toBe(false);
    expect(handedOver('booked')).toBe(false);
    expect(handedOver('cancelled')).toBe(false);
  });

  it('is true from pick-up on', () => {
    for (const s of [
      'picked_up',
      'in_transit',
      'out_for_delivery',
      'delivery_failed',
      'delivered',
      'returned_to_sender',
    ] as const) {
      expect(handedOver(s)).toBe(true);
    }
  });
});

describe('logisticsWebhookSchema', () => {
  const example = {
    eventId: 'evt_9f2c',
    trackingNumber: 'SF1234567890',
    type: 'delivered',
    location: 'Hangzhou, Xihu District',
    signedBy: 'Zhang San',
    codCollected: { amount: 12900, currency: 'CNY' },
    occurredAt: '2025-03-01T10:15:00Z',
  };

  it('accepts the documented logistics event shape (docs/api.md)', () => {
    const r = logisticsWebhookSchema.safeParse(example);
    expect(r.success).toBe(true);
    expect(r.data).toEqual(example);
  });

  it('accepts the minimal shape and an offset timestamp', () => {
    expect(
      logisticsWebhookSchema.safeParse({
        eventId: 'e1',
        trackingNumber: 'T1',
        type: 'in_transit',
        occurredAt: '2025-03-01T18:15:00+08:00',
      }).success,
    ).toBe(true);
  });

  it.each(trackingEventTypes)('accepts type %s', (type) => {
    expect(logisticsWebhookSchema.safeParse({ ...example, type }).success).toBe(true);
  });

  function issuePaths(body: unknown): Array<Array<PropertyKey>> {
    const r = logisticsWebhookSchema.safeParse(body);
    expect(r.success).toBe(false);
    return r.error!.issues.map((i) => i.path);
  }

  it('rejects a missing or empty eventId', () => {
    const { eventId: _, ...noId } = example;
    expect(issuePaths(noId)).toEqual([['eventId']]);
    expect(issuePaths({ ...example, eventId: '' })).toEqual([['eventId']]);
  });

  it('rejects an unknown type', () => {
    expect(issuePaths({ ...example, type: 'lost' })).toEqual([['type']]);
    expect(issuePaths({ ...example, type: 'DELIVERED' })).toEqual([['type']]);
  });

  it('rejects a bad occurredAt', () => {
    expect(issuePaths({ ...example, occurredAt: 'yesterday' })).toEqual([['occurredAt']]);
    expect(issuePaths({ ...example, occurredAt: '2025-13-01T10:00:00Z' })).toEqual([['occurredAt']]);
    expect(issuePaths({ ...example, occurredAt: 1740824100000 })).toEqual([['occurredAt']]);
    const { occurredAt: _, ...noTime } = example;
    expect(issuePaths(noTime)).toEqual([['occurredAt']]);
  });

  it('rejects a malformed codCollected', () => {
    expect(issuePaths({ ...example, codCollected: { amount: 12.5, currency: 'CNY' } })).toEqual([
      ['codCollected', 'amount'],
    ]);
    expect(issuePaths({ ...example, codCollected: { amount: 100, currency: 'YUAN' } })).toEqual([
      ['codCollected', 'currency'],
    ]);
  });
});
