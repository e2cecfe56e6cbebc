import {
  busyCores,
  DEFAULT_ASSUMPTIONS,
  peakLifecyclesPerSecond,
  planVolume,
  reportCpu,
  type Component,
} from '../../bench/capacity';

const cpuMs: Record<Component, number> = { temporal: 100, temporalPostgres: 50, worker: 200, api: 40, postgres: 30 };

describe('capacity model (bench/capacity.ts)', () => {
  it('turns orders a day into peak lifecycles per second', () => {
    expect(peakLifecyclesPerSecond(86_400, 1)).toBe(1);
    expect(peakLifecyclesPerSecond(1_000_000, 3)).toBeCloseTo(34.722, 3);
  });

  it('turns CPU ms per lifecycle at a rate into busy cores', () => {
    expect(busyCores(200, 10)).toBe(2);
  });

  it('sizes every component at the target utilisation, and the worker processes', () => {
    // 864 000 orders a day = 10/s on average, 30/s at a peak factor of 3.
    const plan = planVolume(cpuMs, 864_000, { ...DEFAULT_ASSUMPTIONS, utilisation: 0.5, workers: 4 });
    expect(plan.peakPerSecond).toBeCloseTo(30, 9);
    // worker: 200 ms × 30/s = 6 busy cores, ÷ 0.5 = 12 cores, 12 processes of ≤ 1 core, 3 cores each of 4.
    expect(plan.cores.worker).toBeCloseTo(12, 9);
    expect(plan.workerProcesses).toBe(12);
    expect(plan.coresPerGivenWorker).toBeCloseTo(3, 9);
    expect(plan.cores.temporalPostgres).toBeCloseTo(3, 9);
    // 420 ms × 30/s ÷ 0.5
    expect(plan.totalCores).toBeCloseTo(25.2, 9);
  });

  it('rounds worker processes up, at least one', () => {
    const a = { ...DEFAULT_ASSUMPTIONS, peakFactor: 1, utilisation: 1, coresPerWorker: 2 };
    expect(planVolume(cpuMs, 86_400 * 11, a).workerProcesses).toBe(2); // 2.2 cores
    expect(planVolume(cpuMs, 86_400 * 10, a).workerProcesses).toBe(1); // exactly 2 cores
    expect(planVolume(cpuMs, 1, a).workerProcesses).toBe(1);
  });

  it('reads CPU per lifecycle from a report, net of idle when it has it', () => {
    const report = {
      stack: { temporalServer: 'production v1.29.1' },
      cpu: {
        perCompletedLifecycleMs: { temporal: 9, worker: 9 },
        perCompletedLifecycleNetOfIdleMs: { temporal: 1, worker: 2, api: 3, postgres: 4, bench: 99, stackTotal: 109 },
      },
    };
    expect(reportCpu(report)).toEqual({
      cpuMs: { temporal: 1, temporalPostgres: 0, worker: 2, api: 3, postgres: 4 },
      basis: 'net of idle',
      temporalServer: 'production v1.29.1',
    });
    expect(reportCpu({ cpu: { perCompletedLifecycleMs: { worker: 5 } } })).toMatchObject({
      basis: 'gross',
      temporalServer: 'dev',
    });
    expect(() => reportCpu({ cpu: {} })).toThrow(/no CPU per completed lifecycle/);
  });
});
