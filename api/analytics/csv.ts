type Cell = string | number | null | undefined;

/**
 * RFC 4180 CSV. Text cells that a spreadsheet would run as a formula (= + - @, tab, CR) get a leading
 * apostrophe: reasons and names are typed by merchants and customers.
 */
function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: Array<Record<string, Cell>>, columns?: string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  return [cols.map(cell).join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
