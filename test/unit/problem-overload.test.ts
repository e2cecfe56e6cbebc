import Fastify from 'fastify';
import { registerProblemHandler } from '../../api/problem';

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
  app.get('/bug', async () => {
    throw new Error('a bug');
  });
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
    Object.assign(new Error('Invalid invocation'), {
      code: 'P2010',
      meta: {
        driverAdapterError: {
          cause: {
            kind: 'postgres',
            code: '57P03',
            originalCode: '57P03',
            message: 'the database system is shutting down',
          },
        },
      },
    }),
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
  const app = Fastify();
  registerProblemHandler(app);
  app.get('/down', async () => {
    throw error;
  });
  const res = await app.inject({ method: 'GET', url: '/down' });
  expect({ status: res.statusCode, type: res.json().type }).toEqual({ status: 503, type: '/problems/unavailable' });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  await app.close();
});

test.each([
  [
    'Prisma P2034 (write conflict or deadlock)',
    Object.assign(new Error('Transaction failed due to a write conflict or a deadlock'), { code: 'P2034' }),
  ],
  [
    '40P01 deadlock (through the driver adapter)',
    Object.assign(new Error('Invalid invocation'), {
      code: 'P2010',
      meta: {
        driverAdapterError: {
          cause: { kind: 'postgres', code: '40P01', originalCode: '40P01', message: 'deadlock detected' },
        },
      },
    }),
  ],
  [
    'a pg error 40001 (serialization failure)',
    Object.assign(new Error('could not serialize access'), { code: '40001' }),
  ],
])('a transaction given up for a concurrent one: %s → 503 with Retry-After, not 500', async (_what, error) => {
  const app = Fastify();
  registerProblemHandler(app);
  app.post('/write', async () => {
    throw error;
  });
  const res = await app.inject({ method: 'POST', url: '/write' });
  expect({ status: res.statusCode, type: res.json().type }).toEqual({ status: 503, type: '/problems/unavailable' });
  expect(res.json().detail).toMatch(/nothing was changed; retry/);
  expect(res.headers['retry-after']).toBe('1');
  await app.close();
});
