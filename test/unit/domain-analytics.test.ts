// The pure parts of analytics (domain/analytics.ts): reorder suggestions computed by hand, local
// time in whole-hour zones, the split of a period into monthly, daily and hourly rollup rows, and RFM
// segments.
import fc from 'fast-check';
import {
  localDate,
  localDaySpan,
  localToUtc,
  offsetMinutes,
  reorderSuggestion,
  rfmSegment,
  rfmSegments,
  splitDays,
  splitPeriod,
  wholeHourOffsets,
} from '../../domain/analytics';

const policy = { leadTimeDays: 5, safetyStockDays: 2, reviewDays: 7, velocityWindowDays: 10 };

describe('reorderSuggestion (hand-computed)', () => {
  test('runs out before a new order would arrive: critical, order up to 14 days of sales', () => {
    // velocity 40 / 10 = 4 a day; cover 5 / 4 = 1.25; reorder point ceil(4 × 7) = 28; up to ceil(4 × 14) = 56.
    expect(reorderSuggestion(5, 40, policy)).toEqual({
      velocityPerDay: 4,
      coverDays: 1.25,
      reorderPoint: 28,
      orderUpTo: 56,
      suggestedQuantity: 51,
      urgency: 'critical',
    });
  });
  test('between lead time and reorder point: reorder', () => {
    // velocity 2; cover 12 / 2 = 6 ≥ 5 lead days; reorder point 14 ≥ 12; up to 28 → 16.
    expect(reorderSuggestion(12, 20, policy)).toMatchObject({
      coverDays: 6,
      reorderPoint: 14,
      suggestedQuantity: 16,
      urgency: 'reorder',
    });
  });
  test('exactly at the reorder point orders; one above does not', () => {
    expect(reorderSuggestion(14, 20, policy)).toMatchObject({ suggestedQuantity: 14, urgency: 'reorder' });
    expect(reorderSuggestion(15, 20, policy)).toMatchObject({ suggestedQuantity: 0, urgency: 'ok', coverDays: 7.5 });
  });
  test('fractional velocity rounds the quantities up', () => {
    // 3 units in 10 days = 0.3 a day: reorder point ceil(2.1) = 3, order up to ceil(4.2) = 5.
    expect(reorderSuggestion(2, 3, policy)).toMatchObject({
      velocityPerDay: 0.3,
      reorderPoint: 3,
      orderUpTo: 5,
      suggestedQuantity: 3,
    });
  });
  test('nothing available is a stockout; oversold (negative) counts as 0', () => {
    expect(reorderSuggestion(0, 20, policy)).toMatchObject({
      coverDays: 0,
      suggestedQuantity: 28,
      urgency: 'stockout',
    });
    expect(reorderSuggestion(-3, 20, policy)).toMatchObject({ suggestedQuantity: 28, urgency: 'stockout' });
  });
  test('no sales in the window: no demand, nothing suggested, cover unknown', () => {
    expect(reorderSuggestion(7, 0, policy)).toMatchObject({
      coverDays: null,
      suggestedQuantity: 0,
      urgency: 'no_demand',
    });
  });
});

describe('time zones', () => {
  test('Shanghai is UTC+8 all year; local midnight is 16:00 UTC the day before', () => {
    expect(offsetMinutes('Asia/Shanghai', Date.parse('2026-01-01T00:00:00Z'))).toBe(480);
    expect(new Date(localToUtc('2026-11-26', 'Asia/Shanghai')).toISOString()).toBe('2026-11-25T16:00:00.000Z');
    expect(new Date(localToUtc('2026-11-26T09', 'Asia/Shanghai')).toISOString()).toBe('2026-11-26T01:00:00.000Z');
    expect(localDate(Date.parse('2026-11-25T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-11-25');
    expect(localDate(Date.parse('2026-11-25T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-26');
  });
  test('daylight saving: New York midnight before and after the change', () => {
    expect(new Date(localToUtc('2026-03-08', 'America/New_York')).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(localToUtc('2026-03-09', 'America/New_York')).toISOString()).toBe('2026-03-09T04:00:00.000Z');
  });
  test('whole-hour offsets: Shanghai and New York yes, Kolkata (+05:30) no', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    const to = Date.parse('2026-12-31T00:00:00Z');
    expect(wholeHourOffsets('Asia/Shanghai', from, to)).toBe(true);
    expect(wholeHourOffsets('America/New_York', from, to)).toBe(true);
    expect(wholeHourOffsets('Asia/Kolkata', from, to)).toBe(false);
  });
});

describe('splitPeriod', () => {
  const H = 3_600_000;
  test('a Shanghai month: hours at both edges, whole UTC days between', () => {
    const from = Date.parse('2026-10-31T16:00:00Z');
    const to = Date.parse('2026-11-30T16:00:00Z');
    expect(splitPeriod(from, to)).toEqual({
      days: [Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-30T00:00:00Z')],
      hours: [
        [from, Date.parse('2026-11-01T00:00:00Z')],
        [Date.parse('2026-11-30T00:00:00Z'), to],
      ],
    });
  });
  test('the pieces cover the period exactly once (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 20_000 }), (a, len) => {
        const from = a * H;
        const to = (a + len) * H;
        const { days, hours } = splitPeriod(from, to);
        const pieces = [...hours, ...(days ? [days] : [])].sort((x, y) => x[0] - y[0]);
        expect(pieces[0][0]).toBe(from);
        expect(pieces[pieces.length - 1][1]).toBe(to);
        for (let i = 1; i < pieces.length; i++) expect(pieces[i][0]).toBe(pieces[i - 1][1]);
        if (days) expect((days[0] % (24 * H)) + (days[1] % (24 * H))).toBe(0);
      }),
    );
  });
});

describe('splitDays (the monthly grain)', () => {
  const D = 86_400_000;
  const at = (s: string) => Date.parse(`${s}T00:00:00Z`);
  test('a Shanghai year: whole UTC months between the edge days', () => {
    expect(splitDays(at('2025-11-26'), at('2026-11-26'))).toEqual({
      months: [at('2025-12-01'), at('2026-11-01')],
      days: [
        [at('2025-11-26'), at('2025-12-01')],
        [at('2026-11-01'), at('2026-11-26')],
      ],
    });
  });
  test('a period on month boundaries is months only; one inside a month is days only', () => {
    expect(splitDays(at('2026-01-01'), at('2026-03-01'))).toEqual({
      months: [at('2026-01-01'), at('2026-03-01')],
      days: [],
    });
    expect(splitDays(at('2026-01-05'), at('2026-02-01'))).toEqual({ days: [[at('2026-01-05'), at('2026-02-01')]] });
  });
  test('the pieces cover the days exactly once, months on UTC month starts (property)', () => {
    const monthStart = (t: number) => new Date(t).getUTCDate() === 1;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 1, max: 800 }), (a, len) => {
        const from = Date.UTC(2025, 0, 1) + a * D;
        const to = from + len * D;
        const { months, days } = splitDays(from, to);
        const pieces = [...days, ...(months ? [months] : [])].sort((x, y) => x[0] - y[0]);
        expect(pieces[0][0]).toBe(from);
        expect(pieces[pieces.length - 1][1]).toBe(to);
        for (let i = 1; i < pieces.length; i++) expect(pieces[i][0]).toBe(pieces[i - 1][1]);
        if (months) expect([monthStart(months[0]), monthStart(months[1])]).toEqual([true, true]);
        for (const [x, y] of days) expect(y - x).toBeLessThan(62 * D);
      }),
    );
  });
});

describe('localDaySpan', () => {
  test('whole Shanghai days inside a period that starts and ends mid-day', () => {
    const from = Date.parse('2022-01-19T21:00:00Z'); // 20 Jan 05:00 in Shanghai
    const to = Date.parse('2022-04-09T16:00:00Z'); // 10 Apr 00:00
    expect(localDaySpan(from, to, 'Asia/Shanghai')).toEqual([Date.parse('2022-01-20T16:00:00Z'), to]);
    expect(localDaySpan(from, from + 3_600_000, 'Asia/Shanghai')).toBeUndefined();
  });
  test('across a DST change in New York (a 23-hour day)', () => {
    const from = Date.parse('2026-03-07T05:00:00Z'); // 7 Mar 00:00 EST
    const to = Date.parse('2026-03-09T04:00:00Z'); // 9 Mar 00:00 EDT
    expect(localDaySpan(from, to, 'America/New_York')).toEqual([from, to]);
  });
});

describe('rfmSegment (docs/analytics.md: first matching rule)', () => {
  test.each([
    [5, 4, 4, 'champions'],
    [4, 5, 5, 'champions'],
    [4, 4, 3, 'loyal'], // frequent and recent, but below ¥1,000
    [3, 3, 1, 'loyal'],
    [5, 1, 5, 'new'],
    [4, 2, 1, 'promising'],
    [3, 1, 1, 'promising'],
    [2, 5, 5, 'at_risk'],
    [2, 1, 3, 'hibernating'],
    [1, 5, 5, 'lost'],
  ] as const)('R %i F %i M %i is %s', (r, f, m, segment) => expect(rfmSegment(r, f, m)).toBe(segment));

  test('every score combination has a named segment, and every segment is reachable', () => {
    const seen = new Set<string>();
    for (let r = 1; r <= 5; r++)
      for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) seen.add(rfmSegment(r, f, m));
    expect([...seen].sort()).toEqual([...rfmSegments].sort());
  });
});
