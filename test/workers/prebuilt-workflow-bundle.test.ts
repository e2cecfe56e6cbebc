// A production worker loads the workflow bundle built before it starts (WORKFLOW_BUNDLE_DIR, npm run
// build:workflows; workers/workflow-bundle.ts): the one with the tracing interceptors exactly when its
// tracing is on, and a missing build stops it at start with the command that makes it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildWorkflows } from '../../scripts/build-workflows';
import { loadConfig } from '../../config';
import { prebuiltWorkflowBundle } from '../../workers/workflow-bundle';

const dir = mkdtempSync(path.join(os.tmpdir(), 'workflow-bundles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('build:workflows writes a bundle without and one with the tracing interceptors; the worker picks by its tracing', async () => {
  const built = await buildWorkflows(dir);
  expect(built.map((b) => path.basename(b.file))).toEqual(['plain.js', 'tracing.js']);
  const plain = prebuiltWorkflowBundle(dir, false)!.codePath;
  const tracing = prebuiltWorkflowBundle(dir, true)!.codePath;
  expect(path.basename(plain)).toBe('plain.js');
  expect(path.basename(tracing)).toBe('tracing.js');
  expect(readFileSync(plain, 'utf8')).toContain('orderWorkflowV2');
  expect(readFileSync(plain, 'utf8')).not.toContain('interceptors-opentelemetry/lib/workflow-interceptors');
  expect(readFileSync(tracing, 'utf8')).toContain('interceptors-opentelemetry/lib/workflow-interceptors');
}, 180_000);

test('unset, the worker bundles at start; a folder without the build is refused, naming the setting and the command', () => {
  expect(prebuiltWorkflowBundle(undefined, false)).toBeUndefined();
  const empty = path.join(dir, 'nothing-here');
  expect(() => prebuiltWorkflowBundle(empty, false)).toThrow(
    /WORKFLOW_BUNDLE_DIR: .*nothing-here\/plain\.js does not exist \(build it: npm run build:workflows -- .*nothing-here\)/,
  );
});

test('the setting is read from the environment', () => {
  expect(loadConfig({ WORKFLOW_BUNDLE_DIR: '/app/.build/workflows' }).WORKFLOW_BUNDLE_DIR).toBe(
    '/app/.build/workflows',
  );
  expect(loadConfig({}).WORKFLOW_BUNDLE_DIR).toBeUndefined();
});
