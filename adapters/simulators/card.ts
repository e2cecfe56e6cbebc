import type { Db } from '../../prisma/client';
import { ProviderRejectedError, ProviderTimeoutError, type CardGateway, type ChargeRequest, type RefundRequest, type RefundResult } from '../types';
import { latency, newReference, recordOnce, refundOnce, replay, type SimulatorOptions } from './books';

/**
 * Test tokens, as real gateways document them:
 *   tok_visa, tok_ok*  → captured
 *   tok_decline        → ProviderRejectedError('card_declined')
 *   tok_timeout        → captured, but the first call with a key throws ProviderTimeoutError (the
 *                        response was lost); retrying with the same key returns that one capture
 *   anything else      → ProviderRejectedError('invalid_token')
 */
export const CARD_TEST_TOKENS = { success: 'tok_visa', decline: 'tok_decline', timeout: 'tok_timeout' } as const;

const PROVIDER = 'card';

type ChargeResponse = { providerRef: string; status: 'captured' };

function outcome(token: string): 'captured' | 'card_declined' | 'invalid_token' {
  if (token === 'tok_visa' || token === 'tok_timeout' || token.startsWith('tok_ok')) return 'captured';
  if (token === 'tok_decline') return 'card_declined';
  return 'invalid_token';
}

export class SimulatedCardGateway implements CardGateway {
  constructor(private readonly db: Db, private readonly options: SimulatorOptions = {}) {}

  async charge(req: ChargeRequest): Promise<ChargeResponse> {
    await latency(this.options);
    if (!Number.isInteger(req.amount) || req.amount <= 0) throw new ProviderRejectedError('invalid_amount', `amount must be a positive integer, got ${req.amount}`);
    const result = outcome(req.token);
    // Declines are recorded too: the same key gets the same answer, never a charge on a later try.
    const { record, inserted } = await recordOnce(this.db, PROVIDER, req.idempotencyKey, () => {
      const reference = newReference('ch');
      return result === 'captured'
        ? { kind: 'charge', reference, orderId: req.orderId, amount: req.amount, status: 'captured', response: { providerRef: reference, status: 'captured', paymentId: req.paymentId, currency: req.currency } }
        : { kind: 'charge', reference, orderId: req.orderId, amount: req.amount, status: 'declined', response: { error: { code: result, message: result === 'card_declined' ? 'the card was declined' : 'unknown card token' } } };
    });
    if (inserted && req.token === CARD_TEST_TOKENS.timeout) {
      throw new ProviderTimeoutError(`card gateway timed out charging ${req.paymentId} (the charge may have happened; retry with the same key)`);
    }
    const { providerRef, status } = replay<ChargeResponse>(record);
    return { providerRef, status };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    await latency(this.options);
    return refundOnce(this.db, PROVIDER, req, (payment) => (payment.kind === 'charge' && payment.status === 'captured' ? payment.amount ?? 0 : 0));
  }
}
