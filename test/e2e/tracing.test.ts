// OpenTelemetry traces (decision 075): one order's submission is one trace, from the API's request
// span through the workflow's start to its activities, on the real stack with an in-memory exporter.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ORDER_WORKFLOW } from '../../contract';
import { startTracing } from '../../platform/tracing';
import { buildWorkflows } from '../../scripts/build-workflows';
import { prebuiltWorkflowBundle } from '../../workers/workflow-bundle';
import { submitOrder, useStack, type StackOptions } from '../helpers/stack';

const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'orders-test', exporter });
const opts: StackOptions = { tracing };

beforeAll(async () => {
  // The run's bundle has no tracing module (tracing is off by default): this file builds the bundles a
  // production worker loads (npm run build:workflows) and takes the traced one, as a traced worker does.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orders-tracing-'));
  await buildWorkflows(dir);
  opts.workflowBundle = prebuiltWorkflowBundle(dir, true)!.codePath;
}, 120_000);
const stack = useStack(opts);
afterAll(() => tracing.shutdown());

/** Polls the exporter until `found` holds for the spans so far. */
async function spansUntil(found: (spans: ReadableSpan[]) => boolean, what: string): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const spans = exporter.getFinishedSpans();
    if (found(spans)) return spans;
    if (Date.now() > deadline) throw new Error(`no ${what}; spans: ${spans.map((s) => s.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an order submission is one trace: API request → StartWorkflow → workflow → activity', async () => {
  const { res } = await submitOrder(stack.app);
  expect(res.statusCode).toBe(201);
  const request = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/orders');
  expect(request).toBeDefined();
  const traceId = request!.spanContext().traceId;
  const inTrace = (spans: ReadableSpan[]) => spans.filter((s) => s.spanContext().traceId === traceId);

  // StartActivity ends (in the workflow, exported through the sink) once the workflow sees the result.
  const both = (all: ReadableSpan[]) =>
    ['StartActivity:', 'RunActivity:'].every((prefix) => inTrace(all).some((s) => s.name.startsWith(prefix)));
  const spans = inTrace(await spansUntil(both, 'activity spans'));
  const start = spans.find((s) => s.name === `StartWorkflow:${ORDER_WORKFLOW}`);
  expect(start?.parentSpanId).toBe(request!.spanContext().spanId);
  expect(request!.attributes['http.response.status_code']).toBe(201);
});

test('with OTEL_EXPORTER_OTLP_ENDPOINT unset, the API and worker modules load no OpenTelemetry SDK', () => {
  const script = `
    const { tracingFromConfig } = require('./platform/telemetry');
    require('./api/app'); require('./workers/main');
    tracingFromConfig({}, 'check').then((t) => {
      const sdk = Object.keys(require.cache).filter((k) => /@opentelemetry[\\\\/]sdk-|interceptors-opentelemetry/.test(k));
      console.log(JSON.stringify({ tracing: t === undefined ? 'off' : 'on', sdk: sdk.length }));
    });`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    encoding: 'utf8',
  });
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ tracing: 'off', sdk: 0 });
});
