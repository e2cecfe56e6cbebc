import type { Db } from '../../prisma/client';
import { webhookSecret } from '../secrets';
import type { Providers } from '../types';
import type { SimulatorOptions } from './books';
import { SimulatedCardGateway } from './card';
import { SimulatedCourier } from './courier';
import type { Deliver } from './http';
import { SimulatedWallet, type WalletMethod } from './wallet';

export { CARD_TEST_TOKENS, SimulatedCardGateway } from './card';
export { SimulatedWallet, type PayResult, type WalletMethod, type WalletOptions } from './wallet';
export { SimulatedCourier, TRACKING_PREFIXES, buildTrackingEvent, sendTrackingEvent, type CourierOptions, type TrackingEventInput } from './courier';
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
  /** Booking timeout probability for every simulated courier. */
  courierFailureRate?: number;
}

/** Providers whose wallets and couriers are the simulator classes, so a demo can call `wallets.alipay.pay(ref)`. */
export interface SimulatedProviders extends Providers {
  card: SimulatedCardGateway;
  wallets: Record<WalletMethod, SimulatedWallet>;
  couriers: Record<string, SimulatedCourier>;
}

export const SIMULATED_COURIERS = ['sf-express', 'yto'] as const;

export function createSimulatedProviders(db: Db, opts: SimulatedProvidersOptions): SimulatedProviders {
  const { webhookBaseUrl, simulatorBaseUrl = webhookBaseUrl, env = process.env, deliver, courierFailureRate, latencyMs, random } = opts;
  const common: SimulatorOptions = { latencyMs, random };
  const wallet = (method: WalletMethod) =>
    new SimulatedWallet(method, db, { ...common, webhookBaseUrl, simulatorBaseUrl, deliver, secret: webhookSecret(method, env) });
  return {
    card: new SimulatedCardGateway(db, common),
    wallets: { wechat_pay: wallet('wechat_pay'), alipay: wallet('alipay') },
    couriers: Object.fromEntries(
      SIMULATED_COURIERS.map((name) => [name, new SimulatedCourier(name, db, { ...common, simulatorBaseUrl, failureRate: courierFailureRate })]),
    ),
    defaultCourier: 'sf-express',
  };
}
