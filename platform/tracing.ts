import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

/**
 * OpenTelemetry traces across API → workflow → activity (docs/operations.md, "Traces"; decision 075).
 * Loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set (platform/telemetry.ts), so a process without
 * it loads no SDK. Temporal's interceptors carry the W3C trace context in workflow and activity
 * headers; workflow code cannot export spans itself, so its spans leave the sandbox through a sink.
 */
/** The workflow-side tracing interceptors, bundled into the workflow code when tracing is on. */
export const WORKFLOW_TRACING_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface Tracing {
  tracer: Tracer;
  /** For every Temporal client of the process: starts, signals and updates carry the caller's trace. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** For the worker: activity interceptors and the sink of workflow spans. */
  worker: Pick<WorkerOptions, 'sinks'> & { interceptors: NonNullable<WorkerOptions['interceptors']> };
  /** The workflow interceptors module, to bundle with the workflows. */
  workflowInterceptorModule: string;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** The collector's base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to <endpoint>/v1/traces. */
  endpoint?: string;
  /** Another exporter (tests: an in-memory one); spans are then exported one by one. */
  exporter?: SpanExporter;
}

export function startTracing(opts: TracingOptions): Tracing {
  const resource = new Resource({ 'service.name': opts.serviceName });
  const processor = opts.exporter
    ? new SimpleSpanProcessor(opts.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(opts.endpoint) }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the interceptors find the active span and the W3C propagator through the API's globals.
  provider.register();
  const tracer = trace.getTracer('order-fulfillment-engine');
  return {
    tracer,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    worker: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    workflowInterceptorModule: WORKFLOW_TRACING_MODULE,
    shutdown: () => provider.shutdown(),
  };
}

/** OTLP/HTTP's rule: the signal's path is appended to the base endpoint. */
function tracesUrl(endpoint: string | undefined): string {
  if (!endpoint) throw new Error('tracing needs OTEL_EXPORTER_OTLP_ENDPOINT or an exporter');
  return new URL('v1/traces', endpoint.endsWith('/') ? endpoint : `${endpoint}/`).toString();
}
