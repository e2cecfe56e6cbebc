// `prisma generate` needs no schema engine, but the CLI insists one exists; offline machines cannot
// download it, so point it at any file. See docs/operations.md, "Database".
const { execFileSync } = require('node:child_process');
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = __filename;
execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], { stdio: 'inherit', env });
