import Fastify from 'fastify';
import { registerProblemHandler } from '../../api/problem';

test('a saturated database answers 503 with Retry-After, not 500', async () => {
  const app = Fastify();
  registerProblemHandler(app);
  const saturated = Object.assign(new Error('Transaction API error: Unable to start a transaction in the given time.'), { code: 'P2028' });
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
