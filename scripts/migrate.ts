// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL with the offline migrator
// (scripts/migrations.ts). Where Prisma's schema engine is available, `npx prisma migrate deploy`
// does the same job and agrees on what has been applied.
import { applyMigrations } from './migrations';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      'DATABASE_URL is not set, e.g. DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/orders npm run db:migrate',
    );
    process.exit(2);
  }
  const applied = await applyMigrations(url, (msg) => console.log(msg));
  console.log(
    applied.length === 0 ? 'No migrations to apply.' : `Applied ${applied.length} migration(s): ${applied.join(', ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
