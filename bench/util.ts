/** Small helpers shared by the bench modules. */
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
export const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** `<key> → count`, in order of first appearance. */
export function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}
