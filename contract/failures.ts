import { ApplicationFailure } from '@temporalio/common';

/** Business failures the API maps to HTTP statuses (docs/api.md). */
export const FAILURE = {
  notAllowed: 'NotAllowedInState', // 409
  invalid: 'InvalidRequest', // 422
  paymentDeclined: 'PaymentDeclined',
} as const;

export interface FieldProblem {
  field: string;
  message: string;
}

/** The action is not allowed in the workflow's current state (409). */
export const refuse = (message: string) =>
  ApplicationFailure.create({ type: FAILURE.notAllowed, message, nonRetryable: true });

/**
 * Bad input (422): with field problems, the API names each field as it reads them (details[0]);
 * with a message alone, the answer names none.
 */
export function invalid(problems: FieldProblem[] | string): ApplicationFailure {
  if (typeof problems === 'string')
    return ApplicationFailure.create({ type: FAILURE.invalid, message: problems, nonRetryable: true });
  const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return ApplicationFailure.create({ type: FAILURE.invalid, message, details: [problems], nonRetryable: true });
}

/** One field's refusal (422). */
export const invalidField = (field: string, message: string) => invalid([{ field, message }]);
