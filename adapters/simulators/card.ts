import { runStatement, type Db } from '../../store/db';
import type { SimulatorRecord } from '../../prisma/generated/client';
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
  newReference,
  RECORD_COLUMNS,
  recordOnce,
  refundOnce,
  replay,
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

/**
 * An authorization as it was ($1), moved to $2 with $3 merged into its response when it is still
 * authorized and $4, if given, is within the amount authorized. `FOR UPDATE` makes a concurrent call
 * wait and then read the row as the first left it.
 */
const MOVE_AUTHORIZATION = {
  name: 'card-authorization-move',
  text: `WITH auth AS (
    SELECT ${RECORD_COLUMNS} FROM simulator_records
    WHERE reference = $1 AND provider = '${PROVIDER}' AND kind = 'authorization' FOR UPDATE),
  moved AS (
    UPDATE simulator_records r SET status = $2, response = r.response || $3::jsonb
    FROM auth WHERE r.reference = auth.reference AND auth.status = 'authorized'
      AND ($4::int IS NULL OR $4::int BETWEEN 1 AND coalesce(auth.amount, 0))
    RETURNING r.reference)
  SELECT auth.*, EXISTS (SELECT 1 FROM moved) AS moved FROM auth`,
};

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
    const valid = Number.isInteger(req.amount) && req.amount > 0;
    const { record: auth, moved } = await this.moveAuthorization(req.providerRef, 'captured', {
      amount: valid ? req.amount : 0, // 0 moves nothing: an invalid amount is refused below
      response: { capturedAmount: req.amount, loseFirstCapture: false },
    });
    const state = auth.response as unknown as Authorization;
    if (moved && state.loseFirstCapture === true)
      throw new ProviderTimeoutError(
        `card gateway timed out capturing ${req.providerRef} (the capture happened; retry with the same key)`,
      );
    if (moved) return { providerRef: auth.reference, status: 'captured' };
    if (auth.status === 'captured') {
      if (state.capturedAmount !== req.amount)
        throw new ProviderRejectedError(
          'already_captured',
          `${req.providerRef} was captured with ${state.capturedAmount}`,
        );
      return { providerRef: auth.reference, status: 'captured' };
    }
    if (auth.status !== 'authorized')
      throw new ProviderRejectedError(`authorization_${auth.status}`, `${req.providerRef} is ${auth.status}`);
    throw new ProviderRejectedError(
      'invalid_amount',
      `capture of ${req.amount} outside 1..${auth.amount} authorized on ${req.providerRef}`,
    );
  }

  /** Releases an authorization in full; voiding twice is a no-op, a captured one must be refunded instead. */
  async void(req: { idempotencyKey: string; orderId: string; providerRef: string }): Promise<void> {
    await latency(this.options);
    const { record: auth, moved } = await this.moveAuthorization(req.providerRef, 'voided');
    if (moved || auth.status === 'voided') return;
    throw new ProviderRejectedError(
      `authorization_${auth.status}`,
      `${req.providerRef} is ${auth.status}: it cannot be voided`,
    );
  }

  /**
   * Moves an authorization on from `authorized` (a capture only within the amount authorized), in one
   * statement that locks it: concurrent calls queue on the row, and each later one sees the first's
   * result. Returns the record as it was before, and whether this call moved it.
   */
  private async moveAuthorization(
    reference: string,
    status: 'captured' | 'voided',
    capture?: { amount: number; response: Partial<Authorization> },
  ): Promise<{ record: SimulatorRecord; moved: boolean }> {
    const [row] = await runStatement<SimulatorRecord & { moved: boolean }>(this.db, MOVE_AUTHORIZATION, [
      reference,
      status,
      capture ? JSON.stringify(capture.response) : '{}',
      capture ? capture.amount : null,
    ]);
    if (!row) throw new ProviderRejectedError('unknown_authorization', `no card authorization ${reference}`);
    const { moved, ...record } = row;
    return { record, moved };
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
