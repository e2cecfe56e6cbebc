import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';

/** One module webpack put in the workflow bundle, by its path from the repository root. */
export interface BundledModule {
  name: string;
  /** Transpiled size in bytes, before the inline source map (which roughly doubles the bundle). */
  bytes: number;
}

export interface WorkflowBundleReport {
  code: string;
  modules: BundledModule[];
}

const root = path.resolve(__dirname, '..');

/**
 * Builds the workflow bundle as workers/worker.ts has the worker build it (same workflowsPath; the
 * tracing interceptor module when asked) and lists the modules in it, largest first.
 */
export async function buildWorkflowBundle(
  options: { workflowInterceptorModules?: string[] } = {},
): Promise<WorkflowBundleReport> {
  const modules: BundledModule[] = [];
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: options.workflowInterceptorModules,
    logger: quietLogger,
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), moduleCollector(modules)],
    }),
  });
  modules.sort((a, b) => b.bytes - a.bytes);
  return { code, modules };
}

/** A webpack plugin that records every built module's size once the compilation is done. */
function moduleCollector(into: BundledModule[]) {
  return {
    apply(compiler: WebpackCompiler) {
      compiler.hooks.done.tap('workflow-bundle-report', (stats) => {
        for (const m of stats.compilation.modules) {
          const resource = m.resource ?? m.identifier();
          into.push({ name: path.relative(root, resource.replace(/^.*!/, '')), bytes: m.size() });
        }
      });
    },
  };
}

/** True when a module of the bundle comes from the npm package `pkg` (e.g. 'zod'). */
export function fromPackage(module: BundledModule, pkg: string): boolean {
  return module.name.includes(`node_modules/${pkg}/`);
}

/** The minimal shape of webpack's compiler this plugin uses (webpack is the SDK's, not a dependency of ours). */
interface WebpackCompiler {
  hooks: {
    done: {
      tap(
        name: string,
        fn: (stats: {
          compilation: { modules: Iterable<{ resource?: string; identifier(): string; size(): number }> };
        }) => void,
      ): void;
    };
  };
}

type Logger = NonNullable<BundleOptions['logger']>;
const noop = () => undefined;
const quietLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (message: string) => console.error(message),
  log: noop,
};
