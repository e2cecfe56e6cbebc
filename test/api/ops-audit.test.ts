import { audited } from '../../api/audit';
import { Problem } from '../../api/problem';
import { KEYS, useStack } from '../helpers/stack';
import { expectOk, expectProblem, send, uid } from './api-helpers';

const stack = useStack({ worker: false });
const support = { role: 'support' as const, name: 'audit test support' };

const readAudit = async (query: Record<string, string | number>) =>
  expectOk(
    await send(
      stack.app,
      'GET',
      `/v1/ops/audit?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`,
      KEYS.support,
    ),
  );

describe('audit log', () => {
  test('records success, refusal and failure with identity, reason and details', async () => {
    const orderId = uid('ord-audit');
    const ok = await audited(
      stack.db,
      { caller: support, operation: 'order.test', orderId, reason: 'customer called' },
      async (details) => {
        details.amount = 500;
        return 'done';
      },
    );
    expect(ok).toBe('done');
    await expect(
      audited(stack.db, { caller: support, operation: 'order.test', orderId, reason: 'second try' }, async () => {
        throw new Problem(409, 'not-allowed-in-state', 'order is completed');
      }),
    ).rejects.toBeInstanceOf(Problem);
    await expect(
      audited(stack.db, { caller: support, operation: 'order.test', orderId, reason: 'third try' }, async () => {
        throw new Error('database exploded');
      }),
    ).rejects.toThrow('database exploded');

    const { items, nextCursor } = await readAudit({ orderId });
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(3);
    // Newest first.
    expect(items.map((e: any) => [e.outcome, e.statusCode, e.reason])).toEqual([
      ['failed', 500, 'third try'],
      ['refused', 409, 'second try'],
      ['succeeded', 200, 'customer called'],
    ]);
    expect(items[2]).toMatchObject({
      actor: { name: 'audit test support', role: 'support' },
      operation: 'order.test',
      orderId,
      details: { amount: 500 },
    });
    expect(items[1].details.error).toEqual({ type: 'not-allowed-in-state', detail: 'order is completed' });
    expect(new Date(items[0].at).getTime()).toBeGreaterThanOrEqual(new Date(items[2].at).getTime());
  });

  test('filters by operation and pages with a cursor', async () => {
    const operation = `order.${uid('op')}`;
    for (let i = 0; i < 5; i++)
      await audited(stack.db, { caller: support, operation, orderId: uid('ord'), reason: `r${i}` }, async () => i);
    const first = await readAudit({ operation, limit: 2 });
    expect(first.items.map((e: any) => e.reason)).toEqual(['r4', 'r3']);
    const second = await readAudit({ operation, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((e: any) => e.reason)).toEqual(['r2', 'r1']);
    const third = await readAudit({ operation, limit: 2, cursor: second.nextCursor });
    expect(third.items.map((e: any) => e.reason)).toEqual(['r0']);
    expect(third.nextCursor).toBeNull();
  });

  test('only support reads it; a bad cursor is a 400 naming the field', async () => {
    expectProblem(await send(stack.app, 'GET', '/v1/ops/audit', KEYS.platform), 403, '/problems/forbidden');
    expectProblem(await send(stack.app, 'GET', '/v1/ops/audit', undefined), 401, '/problems/unauthorized');
    expectProblem(
      await send(stack.app, 'GET', '/v1/ops/audit?cursor=abc', KEYS.support),
      400,
      '/problems/validation-error',
      ['cursor'],
    );
    expectProblem(
      await send(stack.app, 'GET', '/v1/ops/audit?limit=0', KEYS.support),
      400,
      '/problems/validation-error',
      ['limit'],
    );
  });
});
