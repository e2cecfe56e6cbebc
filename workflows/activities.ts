import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FAILURE } from '../contract';

/**
 * Short database steps run as local activities (one history marker each, no extra round trip);
 * provider calls run as regular activities, retried with backoff under their business idempotency key.
 */
export const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

export const providers = proxyActivities<Activities>({
  // Long enough for a slow provider; short enough that a call lost with a crashed worker is retried soon.
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [FAILURE.paymentDeclined],
  },
});

/** One courier's booking, given up after a few attempts so the shipment can fall back to another courier. */
export const bookingAttempts = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 3 },
});
