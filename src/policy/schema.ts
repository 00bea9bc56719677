// Exam policies are data (DESIGN §6): Beijing is the default, other jurisdictions are more files.
import { z } from 'zod';
import { safeText } from '../text.js';

export const LEVELS = ['physician', 'assistant'] as const;
export type Level = (typeof LEVELS)[number];
export const PROCEDURES = ['general', 'simplified', 'exempt'] as const;
export type Procedure = (typeof PROCEDURES)[number];

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'ids are lower-case letters, digits and "-"');

export const passMarkSchema = z.union([
  z.number().min(0),
  z.object({ physician: z.number().min(0), assistant: z.number().min(0) }).strict(),
]);

export const sectionSchema = z
  .object({
    id: slug,
    title: safeText(100).min(1),
    /** A bank id, or "@specialty" for the bank of the candidate's registered specialty. */
    bank: z.union([z.literal('@specialty'), slug]),
    durationSec: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600),
    items: z.number().int().min(1).max(1000),
    points: z.number().positive().max(10_000),
    passMark: passMarkSchema,
  })
  .strict()
  .superRefine((s, ctx) => {
    const marks = typeof s.passMark === 'number' ? [s.passMark] : Object.values(s.passMark);
    if (marks.some((m) => m > s.points))
      ctx.addIssue({ code: 'custom', path: ['passMark'], message: 'passMark is larger than points' });
  });

export const examSchema = z
  .object({
    id: slug,
    title: safeText(100).min(1).optional(),
    maxAttempts: z.number().int().min(1).max(100),
    passRule: z.literal('all-sections').default('all-sections'),
    /** Which registrations sit this exam. */
    procedures: z.array(z.enum(PROCEDURES)).min(1).default(['general']),
    sections: z.array(sectionSchema).min(1).max(20),
  })
  .strict()
  .superRefine((e, ctx) => {
    const ids = e.sections.map((s) => s.id);
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({ code: 'custom', path: ['sections'], message: 'section ids must be unique within an exam' });
  });

export const policySchema = z
  .object({
    id: slug,
    title: safeText(200).min(1),
    exams: z.array(examSchema).min(1).max(10),
  })
  .strict()
  .superRefine((p, ctx) => {
    const ids = p.exams.map((e) => e.id);
    if (new Set(ids).size !== ids.length)
      ctx.addIssue({ code: 'custom', path: ['exams'], message: 'exam ids must be unique within a policy' });
  });

export type Policy = z.output<typeof policySchema>;
export type Exam = z.output<typeof examSchema>;
export type Section = z.output<typeof sectionSchema>;
export type PassMark = z.output<typeof passMarkSchema>;

export function passMarkFor(mark: PassMark, level: Level): number {
  return typeof mark === 'number' ? mark : mark[level];
}

/** The exams a registration sits, in policy order. */
export function examsFor(policy: Policy, procedure: Procedure): Exam[] {
  return policy.exams.filter((e) => e.procedures.includes(procedure));
}
