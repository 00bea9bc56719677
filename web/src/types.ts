// Shapes of the engine's public API (DESIGN §4) as the client uses them.

export type QuestionType = 'single' | 'multiple' | 'truefalse';

export interface Option {
  key: string;
  text: string;
}

export interface Question {
  id: string;
  type: QuestionType;
  stem: string;
  options: Option[];
  group?: { id: string; type: 'case' | 'matching'; stem: string };
}

export interface SectionSummary {
  id: string;
  title: string;
  status: 'not_started' | 'in_progress' | 'submitted' | 'timed_out';
  durationSec?: number;
  items?: number;
}

export interface AttemptView {
  id: string;
  number: number;
  examId?: string;
  status: 'in_progress' | 'finished';
  serverTime: string;
  section: {
    id: string;
    title: string;
    startedAt: string;
    endsAt: string;
    remainingMs: number;
    questions: Question[];
  } | null;
  answers: Record<string, string[]>;
  sections: SectionSummary[];
}

export type Outcome = 'passed' | 'failed' | 'in_progress' | 'not_started';
export type PassMark = number | Record<string, number>;

export interface ExamSectionRule {
  id: string;
  title: string;
  durationSec: number;
  items: number;
  points: number;
  passMark: PassMark;
}

export interface Me {
  candidate: {
    name: string;
    idNumber: string;
    specialty: string | null;
    specialtyName?: string | null;
    level?: string | null;
    cycleId: string;
  };
  cycle?: { cycleId?: string; title: string; opensAt: string; closesAt: string };
  attempts: { used: number; max: number; remaining: number };
  activeAttemptId: string | null;
  outcome: Outcome;
  exams?: {
    id: string;
    title: string;
    attempts: { used: number; max: number; remaining: number };
    outcome: Outcome;
    sections: ExamSectionRule[];
  }[];
  serverTime?: string;
}

export interface Result {
  attemptId: string;
  passed: boolean;
  score: number;
  maxScore: number;
  sections: { id: string; title: string; score: number; maxScore: number; passMark: number; passed: boolean }[];
}
