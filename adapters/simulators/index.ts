import type { Db } from '../../store/db';
import { webhookSecret } from '../secrets';
import type { Providers } from '../types';
import type { SimulatorOptions } from './books';
import { SimulatedCardGateway } from './card';
import { SimulatedCourier, type CourierOptions } from './courier';
import { SimulatedNotifier, type NotifierOptions } from './notifier';
import type { Deliver } from './http';
import { SimulatedWallet, type WalletMethod } from './wallet';

export { CARD_TEST_TOKENS, SimulatedCardGateway } from './card';
export {
  SimulatedWallet,
  type PayResult,
  type WalletIntentView,
  type RefundScript,
  type WalletMethod,
  type WalletOptions,
} from './wallet';
export {
  SimulatedCourier,
  TRACKING_PREFIXES,
  buildTrackingEvent,
  sendTrackingEvent,
  type CourierOptions,
  type TrackingEventInput,
} from './courier';
export { GatewayError, SimulatedNotifier, type NotifierFault, type NotifierOptions } from './notifier';
export { DEFAULT_LATENCY_MS, type SimulatorOptions } from './books';
export { fetchDeliver, postSigned, type Deliver } from './http';

export interface SimulatedProvidersOptions extends SimulatorOptions {
  /** Where the engine's API listens, e.g. http://127.0.0.1:3000; wallet notifications are posted there. */
  webhookBaseUrl: string;
  /** Base of the simulator's pages (Alipay cashier, labels); defaults to webhookBaseUrl. */
  simulatorBaseUrl?: string;
  /** Secrets come from WEBHOOK_SECRET_<NAME> in this environment, else the dev defaults (adapters/secrets.ts). */
  env?: NodeJS.ProcessEnv;
  deliver?: Deliver;
  /** Booking timeout probability for every simulated courier (overrides their own profiles). */
  courierFailureRate?: number;
  /** Failure, error and slow-answer rates of the SMS / email / in-app gateways. */
  notifier?: Omit<NotifierOptions, keyof SimulatorOptions>;
  /** Delay of the wallets' refund notifications (WalletOptions.refundDelayMs). */
  refundDelayMs?: [number, number];
}

/** Providers whose wallets and couriers are the simulator classes, so a demo can call `wallets.alipay.pay(ref)`. */
export interface SimulatedProviders extends Providers {
  card: SimulatedCardGateway;
  wallets: Record<WalletMethod, SimulatedWallet>;
  couriers: Record<string, SimulatedCourier>;
  notifiers: Record<'email' | 'sms' | 'in_app', SimulatedNotifier>;
}

/**
 * Two couriers that behave differently: SF Express books fast and reliably; YTO is slower to book,
 * times out now and then, and takes longer to report a parcel coming back.
 */
export const SIMULATED_COURIERS = ['sf-express', 'yto'] as const;
const COURIER_PROFILES: Record<
  (typeof SIMULATED_COURIERS)[number],
  { latencyFactor: number; failureRate: number; returnDelayMs: number }
> = {
  'sf-express': { latencyFactor: 1, failureRate: 0, returnDelayMs: 50 },
  yto: { latencyFactor: 3, failureRate: 0.05, returnDelayMs: 300 },
};

export function createSimulatedProviders(db: Db, opts: SimulatedProvidersOptions): SimulatedProviders {
  const {
    webhookBaseUrl,
    simulatorBaseUrl = webhookBaseUrl,
    env = process.env,
    deliver,
    courierFailureRate,
    notifier,
    refundDelayMs,
    latencyMs,
    random,
  } = opts;
  const common: SimulatorOptions = { latencyMs, random };
  const wallet = (method: WalletMethod) =>
    new SimulatedWallet(method, db, {
      ...common,
      webhookBaseUrl,
      simulatorBaseUrl,
      deliver,
      refundDelayMs,
      secret: webhookSecret(method, env),
    });
  return {
    card: new SimulatedCardGateway(db, common),
    wallets: { wechat_pay: wallet('wechat_pay'), alipay: wallet('alipay') },
    couriers: Object.fromEntries(
      Object.entries(COURIER_PROFILES).map(([name, profile]) => {
        const options: CourierOptions = {
          ...common,
          latencyMs: latencyMs && [latencyMs[0] * profile.latencyFactor, latencyMs[1] * profile.latencyFactor],
          failureRate: courierFailureRate ?? profile.failureRate,
          returnDelayMs: profile.returnDelayMs,
          simulatorBaseUrl,
          webhookBaseUrl,
          deliver,
          secret: webhookSecret(name, env),
        };
        return [name, new SimulatedCourier(name, db, options)];
      }),
    ),
    defaultCourier: 'sf-express',
    notifiers: {
      email: new SimulatedNotifier('email', db, { ...common, ...notifier }),
      sms: new SimulatedNotifier('sms', db, { ...common, ...notifier }),
      in_app: new SimulatedNotifier('in_app', db, { ...common, ...notifier }),
    },
  };
}
