import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The Temporal CLI release the project builds (server 1.29.1; later tags carry a `replace` that `go install` refuses). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** One line naming what is missing and how to get it. */
export const TEMPORAL_CLI_MISSING = `Temporal CLI not found: install Go and run \`go install ${TEMPORAL_CLI_MODULE}\`, or set TEMPORAL_CLI_PATH to a \`temporal\` binary (see docs/testing.md)`;

function goBin(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return env.GOBIN ?? path.join(gopath, 'bin');
  } catch {
    return undefined; // no Go toolchain
  }
}

/**
 * Where the Temporal CLI (dev server) is: $TEMPORAL_CLI_PATH, the project's .tools/, or Go's bin
 * folder (where `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` puts it). Undefined when
 * none is found; callers then build it (ensureTemporalCli) or let the SDK download it.
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.TEMPORAL_CLI_PATH, path.resolve(__dirname, '..', '.tools', 'bin', 'temporal')];
  const bin = goBin(env);
  if (bin) candidates.push(path.join(bin, 'temporal'));
  if (env.HOME) candidates.push(path.join(env.HOME, 'go', 'bin', 'temporal'));
  return candidates.find((p): p is string => Boolean(p) && existsSync(p!));
}

/**
 * The Temporal CLI, built with `go install` when Go is there and the CLI is not (a few minutes,
 * once; Go's module proxy is enough). Undefined without Go: the caller may still let the Temporal
 * SDK download it (machines with internet), or report TEMPORAL_CLI_MISSING.
 */
export function ensureTemporalCli(
  log: (msg: string) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const found = findTemporalCli(env);
  if (found || !goBin(env)) return found;
  log(`building the Temporal CLI with \`go install ${TEMPORAL_CLI_MODULE}\` (once; a few minutes)`);
  for (const extra of [{}, { GOTOOLCHAIN: 'go1.25.0' }]) {
    const res = spawnSync('go', ['install', TEMPORAL_CLI_MODULE], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...env, ...extra },
    });
    if (res.status === 0) return findTemporalCli(env);
  }
  return undefined;
}

/**
 * SQLite in WAL mode for the dev server: a fraction of the CPU per write (see docs/benchmark.md);
 * a power cut may lose the last transactions, which a development server can afford.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = [
  '--sqlite-pragma',
  'journal_mode=WAL',
  '--sqlite-pragma',
  'synchronous=NORMAL',
];
