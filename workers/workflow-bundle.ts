import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * A workflow bundle built before the worker starts (`npm run build:workflows`, the image does it):
 * bundling at start runs webpack inside the worker, which leaves ~200 MB in its RSS for as long as it
 * runs (docs/operations.md, "Worker cache"). Two files, so a worker loads the one built with the
 * tracing interceptors exactly when its tracing is on.
 */
export const workflowBundleFile = (dir: string, tracing: boolean): string =>
  path.resolve(dir, tracing ? 'tracing.js' : 'plain.js');

/** The prebuilt bundle in `dir` (WORKFLOW_BUNDLE_DIR), or undefined when unset: the worker bundles at start. */
export function prebuiltWorkflowBundle(dir: string | undefined, tracing: boolean): { codePath: string } | undefined {
  if (!dir) return undefined;
  const codePath = workflowBundleFile(dir, tracing);
  if (!existsSync(codePath))
    throw new Error(`WORKFLOW_BUNDLE_DIR: ${codePath} does not exist (build it: npm run build:workflows -- ${dir})`);
  return { codePath };
}
