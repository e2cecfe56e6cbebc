import { runStatement, type Db } from './db';

/**
 * Event ids a provider or courier sent us that were passed on (table webhook_events): a replay is
 * acknowledged and ignored. Every signed webhook reads or writes one (hot statements, decision 111).
 */
const ACCEPTED = {
  name: 'inbound-event-accepted',
  text: `SELECT EXISTS (SELECT 1 FROM webhook_events WHERE source = $1 AND event_id = $2) AS accepted`,
};
const MARK_ACCEPTED = {
  name: 'inbound-event-mark-accepted',
  text: `INSERT INTO webhook_events (source, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
};

export async function wasAccepted(db: Db, source: string, eventId: string): Promise<boolean> {
  const [row] = await runStatement<{ accepted: boolean }>(db, ACCEPTED, [source, eventId]);
  return row.accepted;
}

export async function markAccepted(db: Db, source: string, eventId: string): Promise<void> {
  await runStatement(db, MARK_ACCEPTED, [source, eventId]);
}
