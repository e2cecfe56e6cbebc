import { signWebhook } from '../signing';

/** How a simulator sends a webhook; injectable so tests can capture calls instead of using the network. */
export type Deliver = (url: string, body: string, headers: Record<string, string>) => Promise<{ status: number }>;

export const fetchDeliver: Deliver = async (url, body, headers) => {
  const res = await fetch(url, { method: 'POST', body, headers });
  await res.arrayBuffer(); // drain so the connection is reused
  return { status: res.status };
};

export interface SignedPost {
  url: string;
  payload: object;
  secret: string;
  deliver?: Deliver;
  /** Sends the identical request (same body, event id and signature) this many times, like a provider's duplicate callback. */
  times?: number;
}

/** Signs and posts a webhook body; returns the HTTP status of each delivery (0 when the request failed). */
export async function postSigned({
  url,
  payload,
  secret,
  deliver = fetchDeliver,
  times = 1,
}: SignedPost): Promise<number[]> {
  const body = JSON.stringify(payload);
  const headers = { 'content-type': 'application/json', 'x-signature': signWebhook(secret, body) };
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    try {
      statuses.push((await deliver(url, body, headers)).status);
    } catch {
      statuses.push(0); // unreachable endpoint: the caller decides whether to send again
    }
  }
  return statuses;
}
