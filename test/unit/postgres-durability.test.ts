/**
 * The chaos run (`npm run chaos`) SIGKILLs its PostgreSQL, which holds Temporal's persistence and the
 * engine's tables. Both assume that a commit PostgreSQL acknowledged survives such a crash. With
 * asynchronous commit (synchronous_commit=off, as the run's database had) it does not: the server
 * forgot its last ~0.5 s of acknowledged commits, Temporal's history rolled back under a workflow that
 * had already answered an Update and sent a signal, and two orders stopped short of their end
 * (docs/decisions/067-chaos-postgres-keeps-acknowledged-commits.md).
 *
 * Here: writers commit rows as fast as they can, the server is SIGKILLed with its backends (the
 * chaos run's fault), restarted on the same data, and every acknowledged row is looked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../scripts/embedded-postgres';
import { freePort } from '../../scripts/local-postgres';
import { startRunPostgres } from '../../scripts/temporal-server';

type Start = (dataDir: string, port: number) => Promise<EmbeddedPostgres>;

/** Commits rows from 8 connections for `ms`, crashes the server, restarts it: acknowledged rows and those missing. */
async function crashAfterWrites(start: Start, ms = 1500): Promise<{ acknowledged: number; lost: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orders-pg-durability-'));
  const pg = await start(path.join(dir, 'data'), await freePort());
  try {
    await withClient(pg, (c) => c.query('CREATE TABLE acks (id bigint PRIMARY KEY, pad text)'));
    const acknowledged: number[] = [];
    let next = 0;
    const writers = Array.from({ length: 8 }, async () => {
      const c = new Client({ connectionString: pg.url() });
      c.on('error', () => undefined); // the crash ends the connection; the failed query says so
      await c.connect();
      try {
        for (;;) {
          const id = ++next;
          await c.query("INSERT INTO acks VALUES ($1, repeat('x', 200))", [id]);
          acknowledged.push(id);
        }
      } catch {
        // the crash: the row in flight was never acknowledged
      } finally {
        await c.end().catch(() => undefined);
      }
    });
    await new Promise((r) => setTimeout(r, ms));
    await pg.kill();
    await Promise.all(writers);
    await pg.start();
    const { rows } = await withClient(pg, (c) => c.query<{ id: string }>('SELECT id FROM acks'));
    const kept = new Set(rows.map((r) => Number(r.id)));
    return { acknowledged: acknowledged.length, lost: acknowledged.filter((id) => !kept.has(id)).length };
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function withClient<T>(pg: EmbeddedPostgres, work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: pg.url() });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

describe("the chaos run's PostgreSQL under SIGKILL", () => {
  it('keeps every commit it acknowledged (the production topology’s settings)', async () => {
    const { acknowledged, lost } = await crashAfterWrites(startRunPostgres);
    expect(acknowledged).toBeGreaterThan(100);
    expect(lost).toBe(0);
  }, 60_000);

  it('forgets acknowledged commits with asynchronous commit: the fault this test guards against is visible here', async () => {
    const asynchronous: Start = (dataDir, port) =>
      startEmbeddedPostgres({ dataDir, port, ephemeral: true, settings: { synchronous_commit: 'off' } });
    // A loss depends on the WAL writer not having flushed yet: seen on every try here, allowed 3.
    let lost = 0;
    for (let attempt = 1; attempt <= 3 && lost === 0; attempt++) ({ lost } = await crashAfterWrites(asynchronous));
    expect(lost).toBeGreaterThan(0);
  }, 120_000);
});
