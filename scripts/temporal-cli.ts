import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the Temporal CLI (dev server) is: $TEMPORAL_CLI_PATH, the project's .tools/, or Go's bin
 * folder (where `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` puts it). Undefined when
 * none is found; callers then let the SDK download it (machines with internet).
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.TEMPORAL_CLI_PATH, path.resolve(__dirname, '..', '.tools', 'bin', 'temporal')];
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    candidates.push(path.join(env.GOBIN ?? path.join(gopath, 'bin'), 'temporal'));
  } catch {
    // no Go toolchain: only the other places count
  }
  if (env.HOME) candidates.push(path.join(env.HOME, 'go', 'bin', 'temporal'));
  return candidates.find((p): p is string => Boolean(p) && existsSync(p!));
}

/**
 * SQLite in WAL mode for the dev server: a fraction of the CPU per write (see docs/benchmark.md);
 * a power cut may lose the last transactions, which a development server can afford.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'];
