// Text that comes from outside (JSON bodies, sheets) before it reaches Postgres, Redis or a
// spreadsheet. Postgres refuses NUL in text and jsonb, and a lone UTF-16 surrogate in jsonb: such a
// string must be a 400 that names its field, never a 500 from the database. Exports must never let
// a cell start a formula (OWASP "CSV injection").
import { z } from 'zod';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F]/;
// Tab, LF and CR are allowed in multi-line text (question stems, options, explanations).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_MULTILINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** With the `u` flag a surrogate pair is one code point: only an unpaired half matches. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export const TEXT_MESSAGES = {
  control: '含有不允许的控制字符 (contains a control character)',
  surrogate: '含有无效的 Unicode 字符 (contains an unpaired UTF-16 surrogate)',
} as const;

/** Why a string may not be stored as text, or null when it may. */
export function textProblem(s: string, opts: { multiline?: boolean } = {}): string | null {
  if ((opts.multiline ? CONTROL_MULTILINE : CONTROL_SINGLE_LINE).test(s)) return TEXT_MESSAGES.control;
  if (LONE_SURROGATE.test(s)) return TEXT_MESSAGES.surrogate;
  return null;
}

/**
 * A zod string for text from outside: well-formed Unicode, no control characters (tab, newline
 * and carriage return only when `multiline`), at most `max` characters (after trimming, when
 * `trim`). Chain `.min(1)`, `.optional()` and the like as usual.
 */
export function safeText(max: number, opts: { multiline?: boolean; trim?: boolean } = {}) {
  const base = opts.trim ? z.string().trim() : z.string();
  return base.max(max).superRefine((s, ctx) => {
    const problem = textProblem(s, opts);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection guidance). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell of an export (CSV, xlsx): a string that a spreadsheet would read as a formula is prefixed
 * with an apostrophe, so it shows as the text it is. Numbers and empty cells are kept as they are.
 */
export function spreadsheetCell<T>(value: T): T | string {
  return typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value;
}
