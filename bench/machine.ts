/**
 * What this machine does beside the stack that every figure depends on (docs/benchmark.md, "Idle vCPUs
 * and the memory monitor"). A virtual CPU with nothing to run halts; on a host that does not poll,
 * waking it again (PostgreSQL's reply, the next Temporal task) goes through the hypervisor, and the
 * engine's many small round trips between processes pay that each time. The benchmark machine's kernel
 * forces the guest's haltpoll driver with no polling (haltpoll.guest_halt_poll_ns=0), and runs DAMON, a
 * kernel thread that samples memory access every 500 µs and pages out what it finds cold.
 */
import { existsSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { opts } from './options';

const QOS = '/dev/cpu_dma_latency';
const KDAMONDS = '/sys/kernel/mm/damon/admin/kdamonds';

export interface MachineState {
  /** The cpuidle driver (haltpoll on a KVM guest that forces it), null where the kernel has none. */
  cpuidleDriver: string | null;
  /** How long an idle vCPU polls before it halts, where the haltpoll driver says. */
  haltPollNs: number | null;
  /** Whether idle CPUs poll instead of halting: some process holds a 0 µs PM QoS latency request. */
  idleCpusPoll: boolean;
  /** The actions of the DAMON monitors running (e.g. pageout), [] when none runs, null where the kernel has none. */
  damon: string[] | null;
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : null);

/** The latency every idle CPU must keep to (µs): PM QoS's aggregate of the requests held, null when unreadable. */
function latencyLimitUs(): number | null {
  try {
    return readFileSync(QOS).readInt32LE(0);
  } catch {
    return null;
  }
}

/** The scheme actions of each running kdamond. */
function damonActions(): string[] | null {
  if (!existsSync(KDAMONDS)) return null;
  const running = readdirSync(KDAMONDS).filter((k) => read(`${KDAMONDS}/${k}/state`) === 'on');
  return running.flatMap((k) => {
    const schemes = `${KDAMONDS}/${k}/contexts/0/schemes`;
    const actions = existsSync(schemes)
      ? readdirSync(schemes)
          .map((s) => read(`${schemes}/${s}/action`))
          .filter((a): a is string => !!a)
      : [];
    return actions.length ? actions : ['monitoring'];
  });
}

export function machineState(): MachineState {
  const pollNs = read('/sys/module/haltpoll/parameters/guest_halt_poll_ns');
  return {
    cpuidleDriver: read('/sys/devices/system/cpu/cpuidle/current_driver'),
    haltPollNs: pollNs === null ? null : Number(pollNs),
    idleCpusPoll: latencyLimitUs() === 0,
    damon: damonActions(),
  };
}

/** One line for a report. */
export function describeMachine(m: MachineState): string {
  const idle = m.idleCpusPoll
    ? 'idle CPUs poll (a 0 µs latency request is held: BENCH_VCPU_POLL=1)'
    : m.haltPollNs === 0
      ? 'idle vCPUs halt at once (guest_halt_poll_ns 0), each wake-up through the host'
      : m.haltPollNs === null
        ? 'idle CPUs as the kernel decides'
        : `idle vCPUs poll ${m.haltPollNs} ns before they halt`;
  const damon = m.damon?.length ? `; DAMON running (${m.damon.join(', ')})` : '';
  return `${m.cpuidleDriver ?? 'no cpuidle driver'}: ${idle}${damon}`;
}

/**
 * BENCH_VCPU_POLL=1: idle CPUs poll rather than halt for as long as this process lives, as on a host
 * that polls halted vCPUs (KVM's default halt_poll_ns) or in a latency-tuned guest. A PM QoS request of
 * 0 µs: the kernel withdraws it when the file closes, so also when the process dies. Needs write
 * access to /dev/cpu_dma_latency (root); says and returns whether the request is held.
 */
function holdIdleCpusPolling(): boolean {
  try {
    const fd = openSync(QOS, 'w');
    writeSync(fd, Buffer.alloc(4)); // left open on purpose: closing it withdraws the request
    console.log('[bench] BENCH_VCPU_POLL: idle CPUs poll while the bench runs');
    return true;
  } catch (err) {
    console.error(`[bench] BENCH_VCPU_POLL: cannot hold a latency request on ${QOS} (${(err as Error).message})`);
    return false;
  }
}

/** Every bench's first step: false (exit 2) when BENCH_VCPU_POLL asks for polling that cannot be held. */
export const idleCpusAsAsked = (): boolean => !opts.vcpuPoll || holdIdleCpusPolling();
