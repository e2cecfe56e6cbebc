import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type QueryDefinition, type UpdateDefinition } from '@temporalio/common';
import type { OrderState } from '../domain';
import { FAILURE, orderState, orderWorkflowId } from '../contract';
import { problems } from './problem';

/**
 * Runs an order Update and turns its refusals into HTTP answers: a validator's rejection or a
 * handler's NotAllowedInState is 409, InvalidRequest is 422, an order that is gone is 404/409.
 */
export async function updateOrder<Arg, Result = OrderState>(
  client: Client,
  orderId: string,
  def: UpdateDefinition<Result, [Arg]>,
  arg: Arg,
  updateId?: string,
): Promise<Result> {
  return updateWorkflow(client, orderWorkflowId(orderId), def, arg, 'the order has finished its lifecycle', updateId);
}

/** updateOrder for any workflow (after-sales requests too); `finished` explains a closed one (409). */
export async function updateWorkflow<Arg, Result>(
  client: Client,
  workflowId: string,
  def: UpdateDefinition<Result, [Arg]>,
  arg: Arg,
  finished: string,
  updateId: string = randomUUID(),
): Promise<Result> {
  // One id for every attempt (and, from an Idempotency-Key, for every retried request): Temporal
  // answers a repeated update id with the first outcome.
  const handle = client.workflow.getHandle(workflowId);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await handle.executeUpdate(def, { args: [arg], updateId });
      } catch (err) {
        if (!isUnadmittedUpdate(err) || attempt === 5) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      const message = cause?.message ?? err.message;
      if (cause instanceof ApplicationFailure && cause.type === FAILURE.invalid)
        throw problems.unprocessable(message, fieldErrors(cause.details?.[0]));
      throw problems.conflict('not-allowed-in-state', message);
    }
    if (err instanceof WorkflowNotFoundError || isClosedWorkflowError(err))
      throw problems.conflict('not-allowed-in-state', finished);
    throw err;
  }
}

/** A workflow validator may name the fields it refused, as `[{ field, message }]` in its failure details. */
function fieldErrors(details: unknown): Array<{ field: string; message: string }> | undefined {
  if (!Array.isArray(details)) return undefined;
  const isFieldError = (d: unknown): d is { field: string; message: string } =>
    typeof (d as { field?: unknown } | null | undefined)?.field === 'string' &&
    typeof (d as { message?: unknown } | null | undefined)?.message === 'string';
  return (details as unknown[]).every(isFieldError)
    ? (details as Array<{ field: string; message: string }>)
    : undefined;
}

/**
 * The live state, or undefined when the workflow no longer runs or does not answer within the
 * deadline (a busy or stopped worker): the read model, written at every step, then answers.
 */
export async function queryOrder(client: Client, orderId: string, deadlineMs = 2000): Promise<OrderState | undefined> {
  return queryWorkflow(client, orderWorkflowId(orderId), orderState, deadlineMs);
}

/** queryOrder for any workflow. */
export async function queryWorkflow<R>(
  client: Client,
  workflowId: string,
  def: QueryDefinition<R>,
  deadlineMs = 2000,
): Promise<R | undefined> {
  try {
    return await client.withDeadline(Date.now() + deadlineMs, () => client.workflow.getHandle(workflowId).query(def));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    if (isUnanswered(err)) return undefined;
    throw err;
  }
}

/** The deadline passed (gRPC reports it as DEADLINE_EXCEEDED or CANCELLED) or the query timed out. */
function isUnanswered(err: unknown): boolean {
  const messages = [err, (err as { cause?: unknown })?.cause].map((e) => (e instanceof Error ? e.message : ''));
  return messages.some((m) => /deadline|CANCELLED|timed? ?out/i.test(m));
}

export function isClosedWorkflowError(err: unknown): boolean {
  return (
    err instanceof Error &&
    /already completed|workflow execution already (completed|finished)|not found/i.test(err.message)
  );
}

/**
 * The server drops an update whose workflow task failed, e.g. when that task would have completed
 * the workflow while a signal arrived (UnhandledCommand): never admitted, so it is safe to send again.
 */
function isUnadmittedUpdate(err: unknown): boolean {
  const messages = [err, (err as { cause?: unknown })?.cause].map((e) => (e instanceof Error ? e.message : ''));
  return messages.some((m) => /unexpected workflow task failure/i.test(m));
}
