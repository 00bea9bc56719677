// Shapes of the engine's public API as the client uses them: taken from the same zod schemas the
// server validates and documents with (src/delivery/schemas.ts), so client and server cannot drift.
export type {
  AttemptView,
  MeView as Me,
  Outcome,
  PassMark,
  QuestionType,
  QuestionView as Question,
  ResultView as Result,
  SectionSummary,
} from '../../src/delivery/schemas';

import type { ExamStatus } from '../../src/delivery/schemas';
export type ExamSectionRule = ExamStatus['sections'][number];
