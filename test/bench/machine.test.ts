import { describeMachine, machineState, type MachineState } from '../../bench/machine';

const halting: MachineState = { cpuidleDriver: 'haltpoll', haltPollNs: 0, idleCpusPoll: false, damon: ['pageout'] };

describe('machine state in bench reports (bench/machine.ts)', () => {
  it('says when idle vCPUs halt at once and which DAMON schemes run', () => {
    expect(describeMachine(halting)).toBe(
      'haltpoll: idle vCPUs halt at once (guest_halt_poll_ns 0), each wake-up through the host; DAMON running (pageout)',
    );
  });

  it('says when a held latency request keeps idle CPUs polling, whatever the halt polling', () => {
    expect(describeMachine({ ...halting, idleCpusPoll: true, damon: [] })).toBe(
      'haltpoll: idle CPUs poll (a 0 µs latency request is held: BENCH_VCPU_POLL=1)',
    );
  });

  it('gives the halt-polling time, and leaves out what the kernel does not have', () => {
    expect(describeMachine({ ...halting, haltPollNs: 200_000, damon: null })).toBe(
      'haltpoll: idle vCPUs poll 200000 ns before they halt',
    );
    expect(describeMachine({ cpuidleDriver: null, haltPollNs: null, idleCpusPoll: false, damon: null })).toBe(
      'no cpuidle driver: idle CPUs as the kernel decides',
    );
  });

  it('reads this machine without failing where a file is missing', () => {
    const m = machineState();
    expect(typeof m.idleCpusPoll).toBe('boolean');
    expect(m.haltPollNs === null || Number.isInteger(m.haltPollNs)).toBe(true);
    expect(m.damon === null || Array.isArray(m.damon)).toBe(true);
  });
});
