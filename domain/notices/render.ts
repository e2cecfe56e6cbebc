import en from './templates/en.json';
import zhCN from './templates/zh-CN.json';
import { kindSpec, isNoticeKind } from './catalogue';
import type { Locale } from './preferences';

/** One message per kind and locale, in files (domain/notices/templates/<locale>.json). */
export interface Template {
  subject: string;
  text: string;
}
export const TEMPLATES: Record<Locale, Record<string, Template>> = { 'zh-CN': zhCN, en };

export interface RenderedMessage {
  locale: Locale;
  subject: string;
  text: string;
  /** The email body: the text with every value escaped, so no placeholder can inject markup. */
  html: string;
}

const PLACEHOLDER = /\{([a-zA-Z]+)\}/g;

/** The placeholders a template names (the template test checks them against the catalogue). */
export const placeholdersOf = (t: Template): string[] =>
  [...`${t.subject}\n${t.text}`.matchAll(PLACEHOLDER)].map((m) => m[1]);

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Text, numbers and booleans fill a placeholder; anything else (missing, an object) renders empty. */
const scalar = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

/** Placeholders only, no expressions: a missing value renders empty rather than failing the send. */
function fill(text: string, vars: Record<string, unknown>, escape: (s: string) => string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => escape(scalar(vars[name])));
}

/** The message of `kind` in `locale`; a kind without templates uses the generic one. */
export function renderNotice(kind: string, locale: Locale, vars: Record<string, unknown>): RenderedMessage {
  const known = isNoticeKind(kind) && TEMPLATES[locale][kind] !== undefined;
  const template = TEMPLATES[locale][known ? kind : 'generic'];
  const allowed = new Set(kindSpec(known ? kind : 'generic').placeholders);
  const values = Object.fromEntries(Object.entries({ ...vars, kind }).filter(([k]) => allowed.has(k)));
  const subject = fill(template.subject, values, (s) => s);
  const text = fill(template.text, values, (s) => s);
  // Escaping leaves braces alone, so the placeholders survive it and are filled with escaped values.
  const html = `<p>${escapeHtml(template.text)
    .split('\n')
    .map((line) => fill(line, values, escapeHtml))
    .join('</p><p>')}</p>`;
  return { locale, subject, text, html };
}
