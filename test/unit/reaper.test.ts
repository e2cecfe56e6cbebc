// docs/operations.md: the servers `npm start` starts stop when it dies, even by SIGKILL.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { eventually } from '../api/api-helpers';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a child of a process killed with SIGKILL is stopped by the reaper', async () => {
  const tsx = path.join(__dirname, '../../node_modules/.bin/tsx');
  const parent = spawn(tsx, [path.join(__dirname, '../fixtures/reaper-parent.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pids = await new Promise<{ parent: number; child: number }>((resolve) =>
    parent.stdout.once('data', (line: Buffer) => resolve(JSON.parse(line.toString()))),
  );
  expect(alive(pids.child)).toBe(true);
  process.kill(pids.parent, 'SIGKILL');
  await eventually(
    async () => alive(pids.child),
    (up) => !up,
    'the orphaned child stopped',
    15_000,
  );
  parent.kill('SIGKILL');
});
