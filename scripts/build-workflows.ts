/**
 * `npm run build:workflows [-- <dir>]` (default .build/workflows): the workflow bundle as the worker
 * would build it at start, once without and once with the tracing interceptors, for workers started
 * with WORKFLOW_BUNDLE_DIR=<dir> (workers/workflow-bundle.ts; the image builds it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { WORKFLOW_TRACING_MODULE } from '../platform/tracing';
import { workflowBundleFile } from '../workers/workflow-bundle';
import { buildWorkflowBundle } from './workflow-bundle';

/** Writes both bundles into `dir` and returns their files with their sizes. */
export async function buildWorkflows(dir: string): Promise<Array<{ file: string; bytes: number }>> {
  mkdirSync(dir, { recursive: true });
  const built = [];
  for (const tracing of [false, true]) {
    const { code } = await buildWorkflowBundle({
      workflowInterceptorModules: tracing ? [WORKFLOW_TRACING_MODULE] : [],
    });
    const file = workflowBundleFile(dir, tracing);
    writeFileSync(file, code);
    built.push({ file, bytes: code.length });
  }
  return built;
}

if (require.main === module)
  buildWorkflows(process.argv[2] ?? '.build/workflows').then(
    (built) => built.forEach((b) => console.log(`${b.file}: ${(b.bytes / 1024).toFixed(0)} kB`)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
