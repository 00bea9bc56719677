// Postgres is the record (DESIGN §2). Hot state lives in Redis; these tables are written by
// admin calls (banks, cycles, candidates, sessions) and by BullMQ workers (attempts).
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const bankVersions = pgTable(
  'bank_versions',
  {
    bankId: text('bank_id').notNull(),
    version: integer('version').notNull(),
    title: text('title').notNull(),
    contentHash: text('content_hash').notNull(),
    /** The validated native bank (DESIGN §5), immutable once written. */
    content: jsonb('content').notNull(),
    questions: integer('questions').notNull(),
    byType: jsonb('by_type').notNull().$type<Record<string, number>>(),
    byTopic: jsonb('by_topic').notNull().$type<Record<string, number>>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    retiredAt: ts('retired_at'),
  },
  (t) => [
    primaryKey({ columns: [t.bankId, t.version] }),
    uniqueIndex('bank_versions_hash').on(t.bankId, t.contentHash),
  ],
);

export const cycles = pgTable('cycles', {
  cycleId: text('cycle_id').primaryKey(),
  title: text('title').notNull(),
  opensAt: ts('opens_at').notNull(),
  closesAt: ts('closes_at').notNull(),
  /** The id given (`beijing`) or null for an inline policy. */
  policyId: text('policy_id'),
  /** The resolved policy, frozen in the cycle so that a later change of a built-in does not move it. */
  policy: jsonb('policy').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const candidates = pgTable(
  'candidates',
  {
    candidateId: text('candidate_id').primaryKey(),
    cycleId: text('cycle_id')
      .notNull()
      .references(() => cycles.cycleId),
    idNumber: text('id_number').notNull(),
    name: text('name').notNull(),
    category: text('category').notNull(),
    scopes: jsonb('scopes').notNull().$type<string[]>(),
    level: text('level').notNull().$type<'physician' | 'assistant'>(),
    specialty: text('specialty').notNull(),
    procedure: text('procedure').notNull().default('general'),
    delegatedTo: text('delegated_to'),
    passwordHash: text('password_hash').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('candidates_cycle_id_number').on(t.cycleId, t.idNumber),
    index('candidates_id_number').on(t.idNumber),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    candidateId: text('candidate_id')
      .notNull()
      .references(() => candidates.candidateId, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('sessions_candidate').on(t.candidateId), index('sessions_expires').on(t.expiresAt)],
);

/** Engine-wide values kept across restarts and shared by all processes (the password pepper). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const attempts = pgTable(
  'attempts',
  {
    attemptId: text('attempt_id').primaryKey(),
    candidateId: text('candidate_id')
      .notNull()
      .references(() => candidates.candidateId, { onDelete: 'cascade' }),
    cycleId: text('cycle_id').notNull(),
    examId: text('exam_id').notNull(),
    number: integer('number').notNull(),
    status: text('status').notNull().$type<'in_progress' | 'finished'>(),
    seed: text('seed').notNull(),
    bankVersions: jsonb('bank_versions').notNull().$type<Record<string, number>>(),
    /** The drawn paper: question ids and option orders per section (rebuildable from seed + versions). */
    paper: jsonb('paper').notNull(),
    /** Answers in the bank's own keys, by question id ("AC"). */
    answers: jsonb('answers')
      .notNull()
      .$type<Record<string, string>>()
      .default(sql`'{}'::jsonb`),
    /** Section timeline of a finished attempt: started/ended at, how each ended. */
    sections: jsonb('sections')
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** The attempt's Redis hash at the last checkpoint: enough to put a try in progress back. */
    checkpoint: jsonb('checkpoint').$type<Record<string, string>>(),
    /** Replayable history of the attempt's state machine. */
    events: jsonb('events')
      .notNull()
      .$type<string[]>()
      .default(sql`'[]'::jsonb`),
    scores: jsonb('scores'),
    score: real('score'),
    maxScore: real('max_score'),
    passed: boolean('passed'),
    startedAt: ts('started_at').notNull(),
    finishedAt: ts('finished_at'),
    /** Milliseconds of Redis time of the last checkpoint, so an older write never overwrites a newer one. */
    checkpointAt: bigint('checkpoint_at', { mode: 'number' }).notNull().default(0),
    /** How many entries of the attempt's Redis log the checkpoint holds: the next one reads only those after. */
    checkpointLog: integer('checkpoint_log').notNull().default(0),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('attempts_candidate_exam_number').on(t.candidateId, t.examId, t.number),
    index('attempts_cycle').on(t.cycleId),
    index('attempts_in_progress')
      .on(t.status)
      .where(sql`status = 'in_progress'`),
  ],
);
