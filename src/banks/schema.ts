// The native bank format (DESIGN §5). Everything that enters the engine — a PUT of native JSON, a
// shipped file, an import from CSV/xlsx/GIFT/QTI/Moodle/Aiken — ends up validated by `parseBank`.
import { z } from 'zod';
import { safeText } from '../text.js';

/** Option keys of the native format; candidates see their own re-lettering of these. */
export const OPTION_KEYS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;
export const TRUE_FALSE_KEYS = ['T', 'F'] as const;

/** Question, group and media ids: printable Unicode of 1-80 code points, no whitespace, "/" or "\\" (§8). */
export const ITEM_ID = /^[^\p{C}\p{Z}\s/\\]{1,80}$/u;
const id = z.string().regex(ITEM_ID, 'ids are 1-80 printable characters without spaces, "/" or "\\"');
const text = (max: number) => safeText(max, { trim: true, multiline: true }).min(1, 'must not be empty');
/** Optional free text: topics, sources, explanations. */
const note = (max: number) => safeText(max, { multiline: true });
const optionKey = z.enum(OPTION_KEYS);

export const optionSchema = z
  .object({
    key: optionKey,
    text: text(4000),
    /** Keeps its place when the other options are shuffled (e.g. "none of the above"). */
    fixed: z.boolean().optional(),
    /** The option's identifier in the file it was imported from (QTI choice id, …). */
    sourceKey: note(200).optional(),
  })
  .strict();

const scoring = {
  points: z.number().positive().max(100).default(1),
  difficulty: z.number().min(0).max(1).optional(),
  explanation: note(10_000).optional(),
  /** Where an imported question came from (file row, GIFT title, QTI identifier…). */
  source: note(500).optional(),
};
const options = z.array(optionSchema).min(2).max(OPTION_KEYS.length);

const singleSchema = z
  .object({
    id,
    type: z.literal('single'),
    stem: text(10_000),
    options,
    answer: z.array(optionKey).length(1, 'a single-answer question has exactly one key'),
    shuffle: z.boolean().optional(),
    topic: note(100).optional(),
    ...scoring,
  })
  .strict();

const multipleSchema = z
  .object({
    id,
    type: z.literal('multiple'),
    stem: text(10_000),
    options,
    answer: z.array(optionKey).min(1).max(OPTION_KEYS.length),
    shuffle: z.boolean().optional(),
    topic: note(100).optional(),
    ...scoring,
  })
  .strict();

const trueFalseSchema = z
  .object({
    id,
    type: z.literal('truefalse'),
    stem: text(10_000),
    answer: z.array(z.enum(TRUE_FALSE_KEYS)).length(1, 'a true/false question has exactly one key, T or F'),
    topic: note(100).optional(),
    ...scoring,
  })
  .strict();

const leafSchema = z.discriminatedUnion('type', [singleSchema, multipleSchema, trueFalseSchema]);

/**
 * DESIGN §5 writes case sub-questions without a `type`: read one from its shape — no options and a
 * T/F key is true/false, several keys is multiple, otherwise single.
 */
const caseItemSchema = z.preprocess((q) => {
  if (!isRecord(q) || 'type' in q) return q;
  const answer = Array.isArray(q.answer) ? q.answer : [];
  const type =
    !('options' in q) && answer.every((k) => k === 'T' || k === 'F')
      ? 'truefalse'
      : answer.length > 1
        ? 'multiple'
        : 'single';
  return { ...q, type };
}, leafSchema);

const caseSchema = z
  .object({
    id,
    type: z.literal('case'),
    stem: text(20_000),
    topic: note(100).optional(),
    source: note(500).optional(),
    questions: z.array(caseItemSchema).min(1).max(20),
  })
  .strict();

const matchingItemSchema = z
  .object({
    id,
    stem: text(10_000),
    answer: z.array(optionKey).length(1, 'a matching item has exactly one key'),
    ...scoring,
  })
  .strict();

const matchingSchema = z
  .object({
    id,
    type: z.literal('matching'),
    stem: note(10_000).optional(),
    topic: note(100).optional(),
    source: note(500).optional(),
    options,
    shuffle: z.boolean().optional(),
    questions: z.array(matchingItemSchema).min(1).max(20),
  })
  .strict();

export const questionSchema = z.discriminatedUnion('type', [
  singleSchema,
  multipleSchema,
  trueFalseSchema,
  caseSchema,
  matchingSchema,
]);

export const bankIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'bank ids are lower-case letters, digits and "-"');

export const bankSchema = z
  .object({
    bankId: bankIdSchema,
    title: text(200),
    questions: z.array(questionSchema).max(50_000),
  })
  .strict();

export type BankInput = z.input<typeof bankSchema>;
export type Bank = z.output<typeof bankSchema>;
export type Question = z.output<typeof questionSchema>;
export type LeafQuestion = z.output<typeof leafSchema>;
export type MatchingItem = z.output<typeof matchingItemSchema>;
export type Option = z.output<typeof optionSchema>;
export type QuestionType = Question['type'];

/** One problem found in a bank, named by question id and field. */
export interface BankIssue {
  questionId?: string;
  field: string;
  message: string;
}

export type ParseBankResult = { ok: true; bank: Bank } | { ok: false; issues: BankIssue[] };

/**
 * Validates a bank: shape (zod), then the rules zod cannot express — ids unique across the whole
 * bank (sub-questions included), option keys unique, every key among the options.
 */
export function parseBank(input: unknown): ParseBankResult {
  const parsed = bankSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((issue) => toBankIssue(issue, input)) };
  }
  const issues = crossCheck(parsed.data);
  return issues.length ? { ok: false, issues } : { ok: true, bank: parsed.data };
}

function crossCheck(bank: Bank): BankIssue[] {
  const issues: BankIssue[] = [];
  const seen = new Set<string>();
  const claimId = (qid: string) => {
    if (seen.has(qid)) issues.push({ questionId: qid, field: 'id', message: 'duplicate question id' });
    seen.add(qid);
  };
  const checkOptions = (qid: string, opts: Option[], answers: string[][]) => {
    const keys = new Set<string>();
    for (const o of opts) {
      if (keys.has(o.key)) issues.push({ questionId: qid, field: 'options', message: `option key ${o.key} repeats` });
      keys.add(o.key);
    }
    for (const answer of answers) {
      if (new Set(answer).size !== answer.length)
        issues.push({ questionId: qid, field: 'answer', message: 'a key repeats in the answer' });
      for (const k of answer)
        if (!keys.has(k))
          issues.push({ questionId: qid, field: 'answer', message: `key ${k} is not among the options` });
    }
  };
  const checkLeaf = (q: LeafQuestion) => {
    claimId(q.id);
    if (q.type !== 'truefalse') checkOptions(q.id, q.options, [q.answer]);
  };
  for (const q of bank.questions) {
    if (q.type === 'case') {
      claimId(q.id);
      q.questions.forEach(checkLeaf);
    } else if (q.type === 'matching') {
      claimId(q.id);
      q.questions.forEach((item) => claimId(item.id));
      checkOptions(
        q.id,
        q.options,
        q.questions.map((item) => item.answer),
      );
      // A wrong key in a matching group is reported against the item, which is what an admin looks for.
      for (const item of q.questions)
        for (const k of item.answer)
          if (!q.options.some((o) => o.key === k))
            issues.push({ questionId: item.id, field: 'answer', message: `key ${k} is not among the group's options` });
    } else {
      checkLeaf(q);
    }
  }
  return dedupe(issues);
}

function dedupe(issues: BankIssue[]): BankIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.questionId}|${i.field}|${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Turns a zod path like ["questions", 3, "questions", 1, "answer"] into the id of the question and its field. */
function toBankIssue(issue: z.core.$ZodIssue, input: unknown): BankIssue {
  let node: unknown = input;
  let questionId: string | undefined;
  const field: string[] = [];
  const path = issue.path;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const next = isRecord(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[seg] : undefined;
    if (seg === 'questions' && typeof path[i + 1] === 'number') {
      const q = Array.isArray(next) ? next[path[i + 1] as number] : undefined;
      questionId = isRecord(q) && typeof q.id === 'string' ? q.id : `#${(path[i + 1] as number) + 1}`;
      field.length = 0;
      node = q;
      i++;
      continue;
    }
    field.push(String(seg));
    node = next;
  }
  return { questionId, field: field.join('.') || (questionId ? '(question)' : '(bank)'), message: issue.message };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf questions (the scorable items) of a question, in order: a case or matching group has several. */
export function leafCount(q: Question): number {
  return q.type === 'case' || q.type === 'matching' ? q.questions.length : 1;
}

export function leafPoints(q: Question): number {
  if (q.type === 'case' || q.type === 'matching') return q.questions.reduce((s, x) => s + x.points, 0);
  return q.points;
}
