import { problems } from './problem';

/**
 * Keyset pagination, newest first: a cursor is the (time, id) of the last row of a page, opaque to
 * clients; the next page holds the rows strictly before it.
 */
export const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

export function decodeCursor(cursor: string): { at: Date; id: string } {
  const [time, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const at = new Date(time);
  // A cursor is only ever one this API wrote: a time PostgreSQL can store and an id of plain text.
  const sane =
    id &&
    !Number.isNaN(at.getTime()) &&
    at.getUTCFullYear() >= 1970 &&
    at.getUTCFullYear() <= 9999 &&
    id.length <= 64 &&
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    !/[\u0000-\u001f\ud800-\udfff\ufffd]/.test(id);
  if (!sane) throw problems.validation([{ field: 'cursor', message: 'is not a cursor returned by this API' }], 'query');
  return { at, id };
}
