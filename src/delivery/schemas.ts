// The candidate API's shapes (DESIGN §4 and §8), as zod schemas: the routes validate and document
// with them, the service's views are typed by them, and the web client takes its types from them.
import { z } from 'zod';

export const attemptParams = z.object({ id: z.string().regex(/^[A-Za-z0-9]{8,32}$/, 'not an attempt id') });
export const sectionParams = attemptParams.extend({ sectionId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/) });

/**
 * Choices are checked by the service against the question as shown (422 invalid_choice), not here:
 * the body schema only bounds sizes, so that a malformed body (400) and a wrong letter (422) differ.
 */
export const answersBody = z
  .object({
    // 1 to 200 answers: counted by the service on the parsed body (zod's record drops "__proto__").
    answers: z.record(z.string().min(1).max(200), z.array(z.string().max(8)).max(8)),
  })
  .strict();
export const startBody = z.object({ exam: z.string().max(64).optional() }).strict();

export const questionType = z.enum(['single', 'multiple', 'truefalse']);
export const outcome = z.enum(['passed', 'failed', 'in_progress', 'not_started']);
const tries = z.object({ used: z.number().int(), max: z.number().int(), remaining: z.number().int() });

export const questionView = z.object({
  id: z.string(),
  type: questionType,
  stem: z.string(),
  /** Re-lettered A, B, C… in the order this candidate sees them (T/F stay T/F). */
  options: z.array(z.object({ key: z.string(), text: z.string() })),
  group: z.object({ id: z.string(), type: z.enum(['case', 'matching']), stem: z.string() }).optional(),
});

export const sectionSummary = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(['not_started', 'in_progress', 'submitted', 'timed_out']),
  durationSec: z.number(),
  items: z.number().int(),
});

export const attemptView = z.object({
  id: z.string(),
  number: z.number().int(),
  examId: z.string(),
  status: z.enum(['in_progress', 'finished']),
  serverTime: z.string(),
  section: z
    .object({
      id: z.string(),
      title: z.string(),
      startedAt: z.string(),
      endsAt: z.string(),
      remainingMs: z.number(),
      questions: z.array(questionView),
    })
    .nullable(),
  /** Question id → the letters chosen, as this candidate sees them. */
  answers: z.record(z.string(), z.array(z.string())),
  sections: z.array(sectionSummary),
});

export const saveReply = z.object({ saved: z.number().int(), serverTime: z.string() });

export const passMark = z.union([z.number(), z.record(z.string(), z.number())]);

export const examStatus = z.object({
  id: z.string(),
  title: z.string(),
  attempts: tries,
  outcome,
  sections: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      durationSec: z.number(),
      items: z.number().int(),
      points: z.number(),
      passMark,
    }),
  ),
});

export const meView = z.object({
  candidate: z.object({
    name: z.string(),
    idNumber: z.string(),
    specialty: z.string().nullable(),
    specialtyName: z.string().nullable(),
    level: z.string().nullable(),
    cycleId: z.string(),
  }),
  cycle: z.object({ cycleId: z.string(), title: z.string(), opensAt: z.string(), closesAt: z.string() }),
  attempts: tries,
  activeAttemptId: z.string().nullable(),
  outcome,
  exams: z.array(examStatus),
  serverTime: z.string(),
});

export const resultView = z.object({
  attemptId: z.string(),
  passed: z.boolean(),
  score: z.number(),
  maxScore: z.number(),
  sections: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      score: z.number(),
      maxScore: z.number(),
      passMark: z.number(),
      passed: z.boolean(),
    }),
  ),
});

export type QuestionType = z.infer<typeof questionType>;
export type Outcome = z.infer<typeof outcome>;
export type PassMark = z.infer<typeof passMark>;
export type QuestionView = z.infer<typeof questionView>;
export type SectionSummary = z.infer<typeof sectionSummary>;
export type AttemptView = z.infer<typeof attemptView>;
export type SaveReply = z.infer<typeof saveReply>;
export type ExamStatus = z.infer<typeof examStatus>;
export type MeView = z.infer<typeof meView>;
export type ResultView = z.infer<typeof resultView>;
