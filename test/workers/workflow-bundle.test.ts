// docs/decisions/098-lean-workflow-bundle.md: every cached workflow loads each module of the workflow
// bundle into its own context, so the bundle holds what workflows execute and nothing else. Builds the
// bundle as the worker does (scripts/workflow-bundle.ts, also `npm run bundle:report`).
import { buildWorkflowBundle, fromPackage, type WorkflowBundleReport } from '../../scripts/workflow-bundle';

/** Module code (before the inline source map) the bundle may hold: 656 kB when written, the SDK ~470 kB of it. */
const MODULE_CODE_CEILING = 800 * 1024;

let bundle: WorkflowBundleReport;

beforeAll(async () => {
  bundle = await buildWorkflowBundle();
}, 120_000);

const named = (pattern: RegExp) => bundle.modules.filter((m) => pattern.test(m.name)).map((m) => m.name);

test('the bundle holds the workflows themselves', () => {
  expect(named(/^workflows\/order\/index\.ts$/)).toHaveLength(1);
  expect(named(/^domain\/shortage\.ts$/)).toHaveLength(1);
});

test('zod is not in the workflow bundle', () => {
  expect(bundle.modules.filter((m) => fromPackage(m, 'zod')).map((m) => m.name)).toEqual([]);
});

test('no validation schema module and not the domain index', () => {
  expect(named(/\.schema\.ts$|^domain\/index\.ts$/)).toEqual([]);
});

test('no pricing engine, analytics or notice templates', () => {
  expect(named(/^domain\/(pricing\/(engine|rules|coupons|catalog)|analytics|notices\/)/)).toEqual([]);
});

test('the module code stays under its ceiling (another heavy package would cross it)', () => {
  const bytes = bundle.modules.reduce((sum, m) => sum + m.bytes, 0);
  expect(bytes).toBeLessThan(MODULE_CODE_CEILING);
});
