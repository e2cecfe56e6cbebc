/**
 * `npm run bundle:report [-- --top N] [-- --tracing]`: the workflow bundle the worker builds, its size
 * and what is in it, by package or layer and by module, largest first. Every cached workflow runs in
 * a sandbox context holding this code, so its size is memory per cached workflow (docs/operations.md).
 */
import { WORKFLOW_TRACING_MODULE } from '../platform/tracing';
import { buildWorkflowBundle, type BundledModule } from './workflow-bundle';

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

/** 'node_modules/zod', 'domain', 'workflows', …: the package or top-level folder a module belongs to. */
function groupOf(module: BundledModule): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module.name);
  if (pkg) return `node_modules/${pkg[1]}`;
  return module.name.split('/')[0] ?? module.name;
}

function totals(modules: BundledModule[]): [string, number, number][] {
  const byGroup = new Map<string, [number, number]>();
  for (const m of modules) {
    const [bytes, count] = byGroup.get(groupOf(m)) ?? [0, 0];
    byGroup.set(groupOf(m), [bytes + m.bytes, count + 1]);
  }
  return [...byGroup]
    .map(([group, [bytes, count]]): [string, number, number] => [group, bytes, count])
    .sort((a, b) => b[1] - a[1]);
}

async function main() {
  const args = process.argv.slice(2);
  const top = Number(args[args.indexOf('--top') + 1]) || 25;
  const tracing = args.includes('--tracing') ? [WORKFLOW_TRACING_MODULE] : undefined;
  const { code, modules } = await buildWorkflowBundle({ workflowInterceptorModules: tracing });
  const sourceMap = code.length - code.indexOf('//# sourceMappingURL=');
  const moduleBytes = modules.reduce((sum, m) => sum + m.bytes, 0);
  console.log(
    `workflow bundle: ${kB(code.length)} (inline source map ${kB(sourceMap)}), ${modules.length} modules, ${kB(moduleBytes)} of module code`,
  );
  console.log('\nby package or layer:');
  for (const [group, bytes, count] of totals(modules))
    console.log(`  ${kB(bytes).padStart(10)}  ${String(count).padStart(4)}  ${group}`);
  console.log(`\nlargest ${top} modules:`);
  for (const m of modules.slice(0, top)) console.log(`  ${kB(m.bytes).padStart(10)}  ${m.name}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
