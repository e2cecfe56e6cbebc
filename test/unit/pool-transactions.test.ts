// store/db.ts inTransaction (decision 120): hot transactions on a pool connection, against a real
// PostgreSQL (a scratch database of this file's own).
import Fastify from 'fastify';
import { registerProblemHandler } from '../../api/problem';
import { createDb, inTransaction, poolOf, runStatement, type Db } from '../../store/db';
import { scratchDatabase } from '../helpers/scratch-database';

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  const scratch = await scratchDatabase('pool_tx');
  drop = scratch.drop;
  db = createDb(scratch.url, 2);
  await poolOf(db).query('CREATE TABLE rows (id text PRIMARY KEY, n int NOT NULL)');
});

afterAll(async () => {
  await db.$disconnect();
  await drop();
});

const INSERT = { name: 'test-insert', text: 'INSERT INTO rows (id, n) VALUES ($1, $2) RETURNING n' };
const BUMP = { name: 'test-bump', text: 'UPDATE rows SET n = n + 1 WHERE id = $1 RETURNING n' };
const count = async (id: string) =>
  (await poolOf(db).query<{ n: number }>('SELECT count(*)::int AS n FROM rows WHERE id = $1', [id])).rows[0].n;

test('commits what work wrote and answers what it returned; runStatement runs named on its connection', async () => {
  const n = await inTransaction(db, async (tx) => {
    await runStatement(tx, INSERT, ['a', 1]);
    const [row] = await runStatement<{ n: number }>(tx, BUMP, ['a']);
    return row.n;
  });
  expect(n).toBe(2);
  expect(await count('a')).toBe(1);
});

test('rolls back everything when work throws, and the connection goes back to the pool clean', async () => {
  await expect(
    inTransaction(db, async (tx) => {
      await runStatement(tx, INSERT, ['b', 1]);
      throw new Error('refused');
    }),
  ).rejects.toThrow('refused');
  await expect(inTransaction(db, (tx) => runStatement(tx, INSERT, ['a', 9]))).rejects.toMatchObject({ code: '23505' });
  expect(await count('b')).toBe(0);
  // Both of the pool's connections at once: neither was left inside the failed transactions.
  await Promise.all(['e1', 'e2'].map((id) => inTransaction(db, (tx) => runStatement(tx, INSERT, [id, 1]))));
  expect((await count('e1')) + (await count('e2'))).toBe(2);
});

test('each statement has 15 s; one that outlives its limit is cancelled (57014) and rolled back', async () => {
  const limit = await inTransaction(db, async (tx) => (await tx.query('SHOW statement_timeout')).rows[0]);
  expect(limit).toEqual({ statement_timeout: '15s' });
  await expect(
    inTransaction(db, async (tx) => {
      await runStatement(tx, INSERT, ['c', 1]);
      await tx.query('SET LOCAL statement_timeout = 50');
      await tx.query('SELECT pg_sleep(1)');
    }),
  ).rejects.toMatchObject({ code: '57014' });
  expect(await count('c')).toBe(0);
});

test('a connection whose rollback fails is closed, not handed to the next transaction', async () => {
  const before = poolOf(db).totalCount;
  await expect(
    inTransaction(db, async (tx) => {
      // The server ends this session: the rollback cannot be sent.
      await poolOf(db).query('SELECT pg_terminate_backend($1)', [(tx as unknown as { processID: number }).processID]);
      await tx.query('SELECT 1');
    }),
  ).rejects.toThrow();
  expect(poolOf(db).totalCount).toBeLessThanOrEqual(before);
  await expect(inTransaction(db, (tx) => runStatement(tx, INSERT, ['d', 1]))).resolves.toEqual([{ n: 1 }]);
});

test('a caller waits for a connection only so long, hears why, and the API answers 503 with Retry-After', async () => {
  const scratch = await scratchDatabase('pool_wait');
  const one = createDb(scratch.url, 1, 200); // one connection; a caller waits at most 200 ms for it
  const app = Fastify();
  registerProblemHandler(app);
  const ONE = { name: 'test-one', text: 'SELECT 1 AS one' };
  app.get('/read', () => runStatement(one, ONE, []));
  app.get('/prisma', () => one.$queryRaw`SELECT 1 AS one`); // Prisma's queries wait on the same pool
  let release = () => {};
  const held = inTransaction(one, () => new Promise<void>((resolve) => (release = resolve)));
  try {
    await expect(runStatement(one, ONE, [])).rejects.toThrow(/timeout exceeded when trying to connect/);
    for (const url of ['/read', '/prisma']) {
      const res = await app.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode, type: res.json().type, retryAfter: res.headers['retry-after'] }).toEqual({
        url,
        status: 503,
        type: '/problems/unavailable',
        retryAfter: '1',
      });
    }
    release();
    await held;
    expect(await runStatement(one, ONE, [])).toEqual([{ one: 1 }]);
  } finally {
    release(); // else the pool could not end
    await held;
    await app.close();
    await one.$disconnect();
    await scratch.drop();
  }
});
