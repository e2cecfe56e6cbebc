import { problems } from './problem';

/**
 * Keyset pagination, newest first: a cursor is the (time, id) of the last row of a page, opaque to
 * clients; the next page holds the rows strictly before it.
 */
export const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

export function decodeCursor(cursor: string): { at: Date; id: string } {
  const [time, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const at = new Date(time);
  if (!id || Number.isNaN(at.getTime())) throw problems.validation([{ field: 'cursor', message: 'is not a cursor returned by this API' }], 'query');
  return { at, id };
}
