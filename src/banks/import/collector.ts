// Collects what an importer finds: the questions (validated one by one against the native schema),
// the skipped ones, the errors and the notes, and hands out ids that are stable and unique.
import { bankIdSchema, leafCount, parseBank, type Question } from '../schema.js';
import type { ImportResult, QuestionInput } from './types.js';

const ID_MAX = 80;
/** The characters of the id rule (schema.ts), without its length: long references are cut below. */
const ID_CHARS = /^[^\p{C}\p{Z}\s/\\]+$/u;

/**
 * Makes a source reference usable inside an id. A reference that already satisfies the id rule
 * (printable Unicode without whitespace, "/" or "\", contract §8) is kept as it is, Chinese
 * included; anything else is reduced to ASCII letters, digits, ".", "_", "-".
 */
export function sanitizeIdPart(s: string): string {
  const t = s.trim();
  if (ID_CHARS.test(t)) return t;
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[-.]+$/, '');
}

/** The first `max` code points of an id (ids count code points), without a trailing "-" or ".". */
const cut = (s: string, max: number) =>
  [...s]
    .slice(0, max)
    .join('')
    .replace(/[-.]+$/, '');

export class Collector {
  private readonly questions: Question[] = [];
  private readonly skipped: ImportResult['skipped'] = [];
  private readonly errors: ImportResult['errors'] = [];
  private readonly notes: ImportResult['notes'] = [];
  private readonly noteKeys = new Set<string>();
  private readonly grouped = new Map<string, string[]>();
  private readonly ids = new Set<string>();

  constructor(readonly bankId: string) {
    if (!bankIdSchema.safeParse(bankId).success) {
      throw new TypeError(`invalid bankId ${JSON.stringify(bankId)}: lower-case letters, digits and "-"`);
    }
  }

  /**
   * A stable id from the bank id and a source reference (编号, GIFT title, QTI identifier…), or the
   * fallback reference when the preferred one has nothing usable. Repeats get "-2", "-3"…
   */
  makeId(preferred: string | undefined, fallback: string): string {
    const part = sanitizeIdPart(preferred ?? '') || sanitizeIdPart(fallback) || 'q';
    const prefixed = part.startsWith(`${this.bankId}-`) ? part : `${this.bankId}-${part}`;
    const base = cut(prefixed, ID_MAX);
    let id = base;
    for (let n = 2; this.ids.has(id); n++) {
      const suffix = `-${n}`;
      id = cut(base, ID_MAX - suffix.length) + suffix;
    }
    this.ids.add(id);
    return id;
  }

  /** Gives back ids of a question that was not accepted. */
  release(q: QuestionInput): void {
    this.ids.delete(q.id);
    if (q.type === 'case' || q.type === 'matching') {
      for (const s of q.questions as { id?: unknown }[]) if (typeof s.id === 'string') this.ids.delete(s.id);
    }
  }

  skip(ref: string, reason: string): void {
    this.skipped.push({ ref, reason });
  }

  error(ref: string, detail: string): void {
    this.errors.push({ ref, detail });
  }

  note(ref: string, detail: string): void {
    const key = `${ref}\u0000${detail}`;
    if (this.noteKeys.has(key)) return;
    this.noteKeys.add(key);
    this.notes.push({ ref, detail });
  }

  notesFor(ref: string, details: string[]): void {
    for (const d of details) this.note(ref, d);
  }

  /** A note that applies to many questions; reported once with the list of refs. */
  noteMany(detail: string, ref: string): void {
    const refs = this.grouped.get(detail) ?? [];
    refs.push(ref);
    this.grouped.set(detail, refs);
  }

  /** Whether an error has been reported so far. */
  hasErrors(): boolean {
    return this.errors.length > 0;
  }

  /** Stable-sorts errors, skipped questions and notes by a position taken from their refs. */
  sortIssues(position: (ref: string) => number): void {
    const sort = <T extends { ref: string }>(list: T[]) => {
      const sorted = list.map((x, i) => ({ x, i, p: position(x.ref) })).sort((a, b) => a.p - b.p || a.i - b.i);
      list.splice(0, list.length, ...sorted.map((s) => s.x));
    };
    sort(this.errors);
    sort(this.skipped);
    sort(this.notes);
  }

  /** Validates the question against the native schema; on success it is part of the result. */
  accept(q: QuestionInput, ref: string): boolean {
    const checked = parseBank({ bankId: 'import-check', title: 'import', questions: [q] });
    if (!checked.ok) {
      this.release(q);
      const issues = checked.issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      this.error(ref, `题目未通过校验 (failed validation): ${issues}`);
      return false;
    }
    this.questions.push(checked.bank.questions[0]!);
    return true;
  }

  result(): ImportResult {
    let questions = this.questions;
    // Belt and braces: the whole set must be a valid bank (ids unique across it, etc.).
    const whole = parseBank({ bankId: this.bankId, title: 'import', questions });
    if (!whole.ok) {
      const bad = new Set(whole.issues.map((i) => i.questionId).filter((x): x is string => !!x));
      const owns = (q: Question, id: string) =>
        q.id === id || ((q.type === 'case' || q.type === 'matching') && q.questions.some((s) => s.id === id));
      questions = questions.filter((q) => ![...bad].some((id) => owns(q, id)));
      for (const i of whole.issues)
        this.error(i.questionId ?? 'file', `题目未通过校验 (failed validation): ${i.field}: ${i.message}`);
    }
    const notes = [...this.notes];
    for (const [detail, refs] of this.grouped) {
      const shown = refs.slice(0, 5).join(', ') + (refs.length > 5 ? ` … (+${refs.length - 5})` : '');
      notes.push({
        ref: shown,
        detail: `${detail}（共 ${refs.length} 题 / ${refs.length} question${refs.length > 1 ? 's' : ''}）`,
      });
    }
    return {
      imported: questions.reduce((s, q) => s + leafCount(q), 0),
      skipped: [...this.skipped],
      errors: [...this.errors],
      notes,
      questions,
    };
  }
}

/** Chinese + English names of question types the engine does not deliver. */
export const UNSUPPORTED = {
  essay: '问答题 (essay)',
  shortanswer: '简答题 (short answer)',
  numerical: '数值题 (numerical)',
  matching: '配对题 (matching)',
  cloze: '嵌入式答案/完形填空题 (cloze)',
  calculated: '计算题 (calculated)',
  ordering: '排序题 (ordering)',
  dragdrop: '拖放题 (drag and drop)',
  gapselect: '下拉选词填空题 (select missing words)',
  random: '随机抽题占位 (random)',
  fillblank: '填空题 (fill in the blank)',
} as const;

export const unsupported = (what: string) => `不支持的题型：${what}`;
