// A candidate's hot state (profile, try counts, the running try) comes from Postgres when Redis
// does not have it: at registration, at login, and after Redis lost its data. A try in progress is
// put back from its last checkpoint, so a lost Redis costs seconds of answers, not sittings.
import { and, eq } from 'drizzle-orm';
import type { HotPath, RegisteredProfile } from '../candidates/service.js';
import type { Db } from '../db/client.js';
import { attempts, candidates } from '../db/schema.js';
import { AppError } from '../errors.js';
import { itemIdsByBank, type Paper } from '../papers/paper.js';
import type { AttemptRef, AttemptStore, HotState } from './store/attempts.js';
import { decodeAttempt, startingAttempt } from './store/codecs.js';

export class HotStateLoader implements HotPath {
  constructor(
    private readonly db: Db,
    private readonly store: AttemptStore,
  ) {}

  /** New registrations: profile and an empty state, so the 08:00 rush of first starts reads no Postgres. */
  async registered(profiles: RegisteredProfile[]): Promise<void> {
    await Promise.all(
      profiles.map(({ candidateId, ...profile }) =>
        this.store.hydrate(candidateId, profile, { used: {}, passed: [], active: null, seen: new Map() }),
      ),
    );
  }

  /** A registration changed: the next request reloads its profile. */
  async changed(candidateIds: string[]): Promise<void> {
    await this.store.forgetProfiles(candidateIds);
  }

  /** At login: loads the candidate into Redis when Redis does not have them. */
  async loggedIn(candidateId: string): Promise<void> {
    if (!(await this.store.hasHotState(candidateId))) await this.hydrate(candidateId);
  }

  /** Rebuilds a candidate's profile and try counts from Postgres, and puts a running try back. */
  async hydrate(candidateId: string): Promise<void> {
    const [cand] = await this.db.select().from(candidates).where(eq(candidates.candidateId, candidateId));
    if (!cand) throw new AppError('unauthenticated');
    const rows = await this.db.select().from(attempts).where(eq(attempts.candidateId, candidateId));
    const state: HotState = { used: {}, passed: [], active: null, seen: new Map() };
    for (const r of rows) {
      state.used[r.examId] = Math.max(state.used[r.examId] ?? 0, r.number);
      if (r.passed) state.passed.push(r.examId);
      if (r.status === 'in_progress') state.active = r.attemptId;
      for (const [bank, ids] of itemIdsByBank(r.paper as Paper))
        state.seen.set(bank, [...(state.seen.get(bank) ?? []), ...ids]);
    }
    const profile = {
      cycle: cand.cycleId,
      specialty: cand.specialty,
      level: cand.level,
      procedure: cand.procedure,
      name: cand.name,
      idNumber: cand.idNumber,
    };
    await this.store.hydrate(candidateId, profile, state);
    if (state.active) await this.restore({ candidateId, attemptId: state.active });
  }

  /** Puts a try that Postgres holds as in progress back into Redis. False when there is none. */
  async restore(ref: AttemptRef): Promise<boolean> {
    const [r] = await this.db
      .select()
      .from(attempts)
      .where(and(eq(attempts.attemptId, ref.attemptId), eq(attempts.candidateId, ref.candidateId)));
    if (!r || r.status !== 'in_progress') return false;
    const paper = r.paper as Paper;
    const attempt = r.checkpoint?.st
      ? decodeAttempt(r.checkpoint)
      : startingAttempt({ paper, number: r.number, cycleId: r.cycleId, startedAt: r.startedAt.getTime() });
    // The new log goes on from where the checkpoint left the old one.
    attempt.logBase = r.checkpointLog;
    await this.store.restore(ref, { attempt, answers: r.answers ?? {}, paper });
    return true;
  }
}
