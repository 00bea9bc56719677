import type { BankInput, Question } from '../schema.js';

export type ImportFormat = 'csv' | 'xlsx' | 'gift' | 'moodlexml' | 'qti' | 'aiken';

export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'xlsx', 'gift', 'moodlexml', 'qti', 'aiken'];

export interface ImportReport {
  /** Scorable questions imported: a case (A3/A4) or matching (B1) group counts its sub-questions. */
  imported: number;
  /** Questions of a kind the engine does not deliver (essay, numerical, short answer…). */
  skipped: { ref: string; reason: string }[];
  /** Malformed parts: each names its row/line/item in `ref`; the rest of the file still imports. */
  errors: { ref: string; detail: string }[];
  /**
   * Things an admin should know that did not stop a question from importing: images and media
   * dropped, partial credit turned into all-or-nothing, unknown columns ignored…
   */
  notes: { ref: string; detail: string }[];
}

export interface ImportResult extends ImportReport {
  /** Native questions, each valid on its own and with ids unique across the result. */
  questions: Question[];
}

export interface ImportOptions {
  bankId: string;
}

/** A question as handed to the schema (before zod defaults). */
export type QuestionInput = BankInput['questions'][number];
