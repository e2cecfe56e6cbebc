import type { Config } from '../config';
import type { Tracing } from './tracing';

export type { Tracing };

/**
 * Tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set, else undefined. The SDK is required here and
 * only here, so a process with tracing off never loads it (decision 075).
 */
export async function tracingFromConfig(
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT'>,
  serviceName: string,
): Promise<Tracing | undefined> {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  const { startTracing } = await import('./tracing');
  return startTracing({ serviceName, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
}
