import Fastify from 'fastify';
import { registerProblemHandler } from '../../api/problem';

/** A PostgreSQL error as Prisma's driver adapter wraps it. */
const throughDriverAdapter = (code: string, message: string) =>
  Object.assign(new Error('Invalid invocation'), {
    code: 'P2010',
    meta: { driverAdapterError: { cause: { kind: 'postgres', code, originalCode: code, message } } },
  });

/** The answer of a route that throws `error`, through the engine's problem handler. */
async function answerTo(error: Error) {
  const app = Fastify();
  registerProblemHandler(app);
  app.post('/route', async () => {
    throw error;
  });
  const res = await app.inject({ method: 'POST', url: '/route' });
  await app.close();
  return res;
}

test('a saturated database answers 503 with Retry-After, not 500', async () => {
  const app = Fastify();
  registerProblemHandler(app);
  const saturated = Object.assign(
    new Error('Transaction API error: Unable to start a transaction in the given time.'),
    { code: 'P2028' },
  );
  app.get('/saturated', async () => {
    throw saturated;
  });
  app.get('/timed-out', async () => {
    throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
  });
  app.get('/bug', async () => {
    throw new Error('a bug');
  });
  expect((await app.inject({ method: 'GET', url: '/timed-out' })).statusCode).toBe(503);
  const res = await app.inject({ method: 'GET', url: '/saturated' });
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('1');
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.json()).toMatchObject({ type: '/problems/unavailable', status: 503 });
  expect((await app.inject({ method: 'GET', url: '/bug' })).statusCode).toBe(500);
  await app.close();
});

test.each([
  [
    'Prisma P1001 (unreachable)',
    Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: 'P1001' }),
  ],
  [
    '57P03 shutting down (through the driver adapter)',
    throughDriverAdapter('57P03', 'the database system is shutting down'),
  ],
  [
    'a pg error 57P01 (terminating connection)',
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
  ],
  ['server has closed the connection', new Error('Server has closed the connection.')],
  ['connection terminated', new Error('Connection terminated unexpectedly')],
  ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
  [
    'a cause two levels down',
    new Error('outer', { cause: new Error('inner', { cause: Object.assign(new Error('x'), { code: '08006' }) }) }),
  ],
])('database unavailable: %s → 503 with Retry-After', async (_what, error) => {
  const res = await answerTo(error);
  expect({ status: res.statusCode, type: res.json().type }).toEqual({ status: 503, type: '/problems/unavailable' });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
});

test.each([
  [
    'Prisma P2034 (write conflict or deadlock)',
    Object.assign(new Error('Transaction failed due to a write conflict or a deadlock'), { code: 'P2034' }),
  ],
  ['40P01 deadlock (through the driver adapter)', throughDriverAdapter('40P01', 'deadlock detected')],
  [
    'a pg error 40001 (serialization failure)',
    Object.assign(new Error('could not serialize access'), { code: '40001' }),
  ],
])('a transaction given up for a concurrent one: %s → 503 with Retry-After, not 500', async (_what, error) => {
  const res = await answerTo(error);
  expect({ status: res.statusCode, type: res.json().type }).toEqual({ status: 503, type: '/problems/unavailable' });
  expect(res.json().detail).toMatch(/nothing was changed; retry/);
  expect(res.headers['retry-after']).toBe('1');
});
