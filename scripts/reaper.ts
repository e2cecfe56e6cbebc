import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Runs in a small process of its own: when its stdin closes (the parent died, even by SIGKILL), it
 * sends SIGTERM to the given pids, waits up to 10 s for them to go, then SIGKILLs what is left.
 */
const REAPER = `
const pids = process.argv.slice(1).map(Number);
const alive = (p) => { try { process.kill(p, 0); return true; } catch { return false; } };
const signal = (p, s) => { try { process.kill(p, s); } catch {} };
process.stdin.on('end', () => {
  pids.forEach((p) => signal(p, 'SIGTERM'));
  const deadline = Date.now() + 10000;
  const check = setInterval(() => {
    if (!pids.some(alive)) process.exit(0);
    if (Date.now() > deadline) { pids.forEach((p) => signal(p, 'SIGKILL')); process.exit(0); }
  }, 200);
});
process.stdin.resume();
`;

/** This process's children, from /proc (Linux); elsewhere none are known. */
export function childPids(): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        // "pid (command) state ppid ...": the command may hold spaces and parentheses, so split after the last ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid ? [Number(entry)] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

/**
 * Makes sure `pids` (servers this process started: the Temporal dev server, PostgreSQL) stop when
 * this process dies in any way, including SIGKILL, which runs none of its own clean-up: otherwise
 * they keep their ports and the next `npm start` cannot bind them.
 */
export function reapWhenThisProcessDies(pids: number[]): void {
  if (pids.length === 0) return;
  const reaper = spawn(process.execPath, ['-e', REAPER, ...pids.map(String)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  // Neither the reaper nor the pipe to it may keep this process alive; the pipe closes with it.
  reaper.unref();
  (reaper.stdin as unknown as { unref(): void }).unref();
}
