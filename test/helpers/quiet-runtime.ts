import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';

/**
 * The Temporal runtime of a jest worker, silent but for the core's errors. Installed once per jest
 * worker: the first file that runs one sets it up, later ones find it there.
 */
export function installQuietRuntime(): void {
  const quiet = () => undefined;
  try {
    Runtime.install({
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
      logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
  } catch {
    // already installed in this jest worker
  }
}
