import type { Db } from '../../store/db';
import type { Prisma, SimulatorRecord } from '../../prisma/generated/client';
import {
  ProviderRejectedError,
  ProviderTimeoutError,
  type CaptureRequest,
  type CardGateway,
  type ChargeRequest,
  type RefundRequest,
  type RefundResult,
} from '../types';
import {
  asJson,
  latency,
  lockRecord,
  newReference,
  recordOnce,
  refundOnce,
  replay,
  setRecord,
  type SimulatorOptions,
} from './books';

/**
 * Test tokens, as real gateways document them:
 *   tok_visa, tok_ok*  → authorized (or captured by `charge`)
 *   tok_decline        → ProviderRejectedError('card_declined')
 *   tok_timeout        → succeeds, but the first call with a key throws ProviderTimeoutError (the
 *                        response was lost); retrying with the same key returns that one result.
 *                        Its authorization's first capture times out the same way.
 *   anything else      → ProviderRejectedError('invalid_token')
 */
export const CARD_TEST_TOKENS = { success: 'tok_visa', decline: 'tok_decline', timeout: 'tok_timeout' } as const;

const PROVIDER = 'card';

type ChargeResponse = { providerRef: string; status: 'captured' };

/** What the gateway keeps about one authorization (simulator_records.response); `amount` is what was authorized. */
interface Authorization {
  providerRef: string;
  status: 'authorized';
  paymentId: string;
  currency: string;
  capturedAmount?: number;
  /** tok_timeout: the first capture's response is lost too. */
  loseFirstCapture?: boolean;
}

/** What the gateway has captured of a charge or an authorization: the most it will refund. */
export function capturedOf(record: SimulatorRecord): number {
  if (record.kind === 'charge' && record.status === 'captured') return record.amount ?? 0;
  if (record.kind === 'authorization' && record.status === 'captured')
    return (record.response as unknown as Authorization).capturedAmount ?? 0;
  return 0;
}

function outcome(token: string): 'captured' | 'card_declined' | 'invalid_token' {
  if (token === 'tok_visa' || token === 'tok_timeout' || token.startsWith('tok_ok')) return 'captured';
  if (token === 'tok_decline') return 'card_declined';
  return 'invalid_token';
}

export class SimulatedCardGateway implements CardGateway {
  constructor(
    private readonly db: Db,
    private readonly options: SimulatorOptions = {},
  ) {}

  async authorize(req: ChargeRequest): Promise<{ providerRef: string; status: 'authorized' }> {
    await latency(this.options);
    if (!Number.isInteger(req.amount) || req.amount <= 0)
      throw new ProviderRejectedError('invalid_amount', `amount must be a positive integer, got ${req.amount}`);
    const result = outcome(req.token);
    const { record, inserted } = await recordOnce(this.db, PROVIDER, req.idempotencyKey, () => {
      const reference = newReference('au');
      const authorization: Authorization = {
        providerRef: reference,
        status: 'authorized',
        paymentId: req.paymentId,
        currency: req.currency,
        loseFirstCapture: req.token === CARD_TEST_TOKENS.timeout,
      };
      return result === 'captured'
        ? {
            kind: 'authorization',
            reference,
            orderId: req.orderId,
            amount: req.amount,
            status: 'authorized',
            response: asJson(authorization),
          }
        : {
            kind: 'authorization',
            reference,
            orderId: req.orderId,
            amount: req.amount,
            status: 'declined',
            response: {
              error: {
                code: result,
                message: result === 'card_declined' ? 'the card was declined' : 'unknown card token',
              },
            },
          };
    });
    if (inserted && req.token === CARD_TEST_TOKENS.timeout) {
      throw new ProviderTimeoutError(
        `card gateway timed out authorizing ${req.paymentId} (the authorization may exist; retry with the same key)`,
      );
    }
    const { providerRef } = replay<Authorization>(record);
    return { providerRef, status: 'authorized' };
  }

  /**
   * Captures up to the authorized amount, once: the authorization's own state makes a repeated
   * capture return the first one (a different amount is refused), and a voided one cannot be captured.
   */
  async capture(req: CaptureRequest): Promise<{ providerRef: string; status: 'captured' }> {
    await latency(this.options);
    const { captured, lostResponse } = await this.db.$transaction(async (tx) => {
      const auth = await this.lockAuthorization(tx, req.providerRef);
      const state = auth.response as unknown as Authorization;
      if (auth.status === 'captured') {
        if (state.capturedAmount !== req.amount)
          throw new ProviderRejectedError(
            'already_captured',
            `${req.providerRef} was captured with ${state.capturedAmount}`,
          );
        return { captured: auth, lostResponse: false };
      }
      if (auth.status !== 'authorized')
        throw new ProviderRejectedError(`authorization_${auth.status}`, `${req.providerRef} is ${auth.status}`);
      if (!Number.isInteger(req.amount) || req.amount <= 0 || req.amount > (auth.amount ?? 0))
        throw new ProviderRejectedError(
          'invalid_amount',
          `capture of ${req.amount} outside 1..${auth.amount} authorized on ${req.providerRef}`,
        );
      const next: Authorization = { ...state, capturedAmount: req.amount, loseFirstCapture: false };
      await setRecord(tx, auth.reference, 'captured', next);
      return { captured: auth, lostResponse: state.loseFirstCapture === true };
    });
    if (lostResponse)
      throw new ProviderTimeoutError(
        `card gateway timed out capturing ${req.providerRef} (the capture happened; retry with the same key)`,
      );
    return { providerRef: captured.reference, status: 'captured' };
  }

  /** Releases an authorization in full; voiding twice is a no-op, a captured one must be refunded instead. */
  async void(req: { idempotencyKey: string; orderId: string; providerRef: string }): Promise<void> {
    await latency(this.options);
    await this.db.$transaction(async (tx) => {
      const auth = await this.lockAuthorization(tx, req.providerRef);
      if (auth.status === 'voided') return;
      if (auth.status !== 'authorized')
        throw new ProviderRejectedError(
          `authorization_${auth.status}`,
          `${req.providerRef} is ${auth.status}: it cannot be voided`,
        );
      await setRecord(tx, auth.reference, 'voided');
    });
  }

  private async lockAuthorization(tx: Prisma.TransactionClient, reference: string): Promise<SimulatorRecord> {
    const auth = await lockRecord(tx, reference);
    if (!auth || auth.provider !== PROVIDER || auth.kind !== 'authorization')
      throw new ProviderRejectedError('unknown_authorization', `no card authorization ${reference}`);
    return auth;
  }

  /** Authorize and capture in one call (orders paid before authorizations existed). */
  async charge(req: ChargeRequest): Promise<ChargeResponse> {
    await latency(this.options);
    if (!Number.isInteger(req.amount) || req.amount <= 0)
      throw new ProviderRejectedError('invalid_amount', `amount must be a positive integer, got ${req.amount}`);
    const result = outcome(req.token);
    // Declines are recorded too: the same key gets the same answer, never a charge on a later try.
    const { record, inserted } = await recordOnce(this.db, PROVIDER, req.idempotencyKey, () => {
      const reference = newReference('ch');
      return result === 'captured'
        ? {
            kind: 'charge',
            reference,
            orderId: req.orderId,
            amount: req.amount,
            status: 'captured',
            response: { providerRef: reference, status: 'captured', paymentId: req.paymentId, currency: req.currency },
          }
        : {
            kind: 'charge',
            reference,
            orderId: req.orderId,
            amount: req.amount,
            status: 'declined',
            response: {
              error: {
                code: result,
                message: result === 'card_declined' ? 'the card was declined' : 'unknown card token',
              },
            },
          };
    });
    if (inserted && req.token === CARD_TEST_TOKENS.timeout) {
      throw new ProviderTimeoutError(
        `card gateway timed out charging ${req.paymentId} (the charge may have happened; retry with the same key)`,
      );
    }
    const { providerRef, status } = replay<ChargeResponse>(record);
    return { providerRef, status };
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    await latency(this.options);
    return refundOnce(this.db, PROVIDER, req, capturedOf);
  }
}
