import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createSimulatedProviders, type WalletIntentView } from '../../adapters/simulators';
import { ProviderRejectedError } from '../../adapters/types';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';

const payParams = z.object({
  wallet: z.enum(['alipay', 'wechat_pay']),
  ref: z.string().min(1).max(64),
});
const WALLET_NAMES = { alipay: '支付宝 Alipay', wechat_pay: '微信支付 WeChat Pay' } as const;

/**
 * The wallet simulators' cashier pages (SIMULATOR_PAGES=on, the default): Alipay's redirect URL and
 * WeChat Pay's QR code land here, so a demo customer can pay. Paying makes the simulated provider post
 * its signed `payment.succeeded` to this API's webhook, exactly as `wallets.<method>.pay()` does in tests.
 */
export function simulatorRoutes({ db, config }: AppDeps, define: Define, app: FastifyInstance) {
  if (config.SIMULATOR_PAGES !== 'on') return;
  // The provider's notification reaches the engine through its public webhook route, in process.
  const { wallets } = createSimulatedProviders(db, {
    webhookBaseUrl: config.publicBaseUrl,
    deliver: async (url, body, headers) => {
      const res = await app.inject({ method: 'POST', url: new URL(url).pathname, payload: body, headers });
      return { status: res.statusCode };
    },
  });

  const found = async (wallet: keyof typeof wallets, ref: string) => {
    const intent = await wallets[wallet].intent(ref);
    if (!intent) throw problems.notFound(`${wallet} payment ${ref}`);
    return intent;
  };

  define<undefined, z.infer<typeof payParams>, undefined>({
    method: 'GET',
    url: '/sim/:wallet/pay/:ref',
    operationId: 'getCashierPage',
    summary: 'Simulated wallet cashier: the payment the customer is asked to approve (HTML)',
    response: { contentType: 'text/html' },
    tags: ['simulators'],
    auth: 'public',
    params: payParams,
    async handler({ params, reply }) {
      void reply.type('text/html; charset=utf-8');
      return cashierPage(params.wallet, await found(params.wallet, params.ref));
    },
  });

  define<undefined, z.infer<typeof payParams>, undefined>({
    method: 'POST',
    url: '/sim/:wallet/pay/:ref',
    operationId: 'payAtCashier',
    summary: 'Simulated wallet cashier: the customer pays; the provider posts its signed notification',
    response: {
      contentType: 'text/html',
      description: 'The result page, naming the status the notification was answered',
    },
    tags: ['simulators'],
    auth: 'public',
    params: payParams,
    // Paying a paid payment resends the same notification (same event id), as providers do.
    idempotency: { via: 'event-id' },
    async handler({ params, reply }) {
      await found(params.wallet, params.ref);
      try {
        const { deliveries } = await wallets[params.wallet].pay(params.ref);
        void reply.type('text/html; charset=utf-8');
        return resultPage(params.wallet, await found(params.wallet, params.ref), deliveries);
      } catch (err) {
        if (err instanceof ProviderRejectedError) throw problems.conflict(err.code, err.message);
        throw err;
      }
    },
  });
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const yuan = (i: WalletIntentView) => `${i.currency} ${(i.amount / 100).toFixed(2)}`;

function page(title: string, body: string) {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:16px system-ui;max-width:28rem;margin:3rem auto;padding:0 1rem}button{font-size:1.1rem;padding:.6rem 1.4rem}</style>
</head><body><h1>${escape(title)}</h1>${body}<p><small>Simulator — no real money moves.</small></p></body></html>`;
}

function cashierPage(wallet: keyof typeof WALLET_NAMES, i: WalletIntentView) {
  const open = i.status === 'pending';
  return page(
    WALLET_NAMES[wallet],
    `<p>Order <code>${escape(i.orderId ?? '')}</code></p><p><strong>${escape(yuan(i))}</strong></p>
<p>Status: <code>${escape(i.status)}</code> · expires ${escape(i.expiresAt)}</p>
${open ? `<form method="post" enctype="text/plain"><button type="submit">Pay ${escape(yuan(i))}</button></form>` : ''}`,
  );
}

function resultPage(wallet: keyof typeof WALLET_NAMES, i: WalletIntentView, deliveries: number[]) {
  return page(
    WALLET_NAMES[wallet],
    `<p>Paid ${escape(yuan(i))} for order <code>${escape(i.orderId ?? '')}</code>.</p>
<p>The provider's signed <code>payment.succeeded</code> notification was answered HTTP ${deliveries.map(String).join(', ')}.</p>`,
  );
}
