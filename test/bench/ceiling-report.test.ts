// bench/ceiling/report.ts: the engine ÷ ceiling ratio counted in each run's own Temporal server CPU.
import { inServerUnits } from '../../bench/ceiling/report';

test('server + worker in server CPU: the same work reads the same on a machine running 25 % slower', () => {
  const engine = { temporal: 40, temporalPostgres: 0, temporalPlusWorker: 120 };
  const slower = { temporal: 50, temporalPostgres: 0, temporalPlusWorker: 150 };
  expect(inServerUnits(engine)).toBe(3);
  expect(inServerUnits(slower)).toBe(3);
  // The production server's PostgreSQL is part of the server.
  expect(inServerUnits({ temporal: 30, temporalPostgres: 10, temporalPlusWorker: 100 })).toBe(2.5);
  expect(inServerUnits({ temporal: 0, temporalPostgres: 0, temporalPlusWorker: 10 })).toBeUndefined();
  expect(inServerUnits(undefined)).toBeUndefined();
});
