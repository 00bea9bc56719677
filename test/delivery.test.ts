// The timed sitting through HTTP against real Postgres, Redis and BullMQ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { startTestEngine, type TestEngine } from './support/engine.js';
import { allKeys, makeBank, openWindow, registration } from './support/fixtures.js';
import { answerSection, login, rightLetters, wrongLetters } from './support/sitting.js';
import { deleteByPattern } from './support/global-setup.js';
import { attemptKeys } from '../src/delivery/store/attempts.js';

let t: TestEngine;
const candidateResponses: unknown[] = [];

async function newCandidate(cycleId: string, overrides: Record<string, unknown> = {}) {
  const reg = registration(overrides);
  const r = await t.admin('POST', `/v1/admin/cycles/${cycleId}/candidates`, { candidates: [reg] });
  expect(r.body.results[0].status).toBe('created');
  const token = await login(t, reg.idNumber, reg.password);
  return { token, idNumber: reg.idNumber, candidateId: r.body.results[0].candidateId as string };
}

async function as(token: string, method: string, path: string, body?: unknown) {
  const r = await t.call(method, path, { token, body });
  candidateResponses.push(r.body);
  return r;
}

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  t = await startTestEngine({ ANSWER_GRACE_MS: '500' });
  expect((await t.admin('PUT', '/v1/admin/banks/law', makeBank('law', 70))).status).toBe(201);
  expect(
    (
      await t.admin(
        'PUT',
        '/v1/admin/banks/internal-medicine',
        makeBank('internal-medicine', 200, { cases: 10, matchings: 10 }),
      )
    ).status,
  ).toBe(201);
  expect(
    (await t.admin('PUT', '/v1/admin/cycles/bj', { title: '北京 测试', ...openWindow(), policy: 'beijing' })).status,
  ).toBe(200);
});
afterAll(async () => {
  // Whatever any test showed a candidate, no answer key was in it.
  const keys = allKeys(candidateResponses);
  expect(keys.has('answer')).toBe(false);
  expect(keys.has('explanation')).toBe(false);
  expect(keys.has('correct')).toBe(false);
  await t?.close();
});

describe('a full Beijing sitting', () => {
  it('passes with 12/20 and 48/80, sections back to back, and is recorded in Postgres', async () => {
    const { token } = await newCandidate('bj');
    const started = await as(token, 'POST', '/v1/attempts', {});
    expect(started.status).toBe(201);
    const a = started.body;
    expect(a.status).toBe('in_progress');
    expect(a.number).toBe(1);
    expect(a.section.id).toBe('law');
    expect(a.section.questions).toHaveLength(20);
    expect(a.section.remainingMs).toBeGreaterThan(1_190_000);
    expect(a.sections.map((s: any) => s.status)).toEqual(['in_progress', 'not_started']);
    // Shuffled options are shown re-lettered A-E in display order.
    for (const q of a.section.questions) expect(q.options.map((o: any) => o.key)).toEqual(['A', 'B', 'C', 'D', 'E']);

    const spec = await answerSection(t, token, a, 12);
    expect(spec.section.id).toBe('specialty');
    expect(spec.section.questions).toHaveLength(80);
    expect(spec.section.remainingMs).toBeGreaterThan(2_390_000);
    const groups = spec.section.questions.filter((q: any) => q.group);
    for (const q of groups) expect(['case', 'matching']).toContain(q.group.type);

    const done = await answerSection(t, token, spec, 48);
    expect(done.status).toBe('finished');
    const result = await as(token, 'GET', `/v1/attempts/${a.id}/result`);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ attemptId: a.id, passed: true, score: 60, maxScore: 100 });
    expect(result.body.sections).toEqual([
      { id: 'law', title: '法律法规', score: 12, maxScore: 20, passMark: 12, passed: true },
      { id: 'specialty', title: '专业知识', score: 48, maxScore: 80, passMark: 48, passed: true },
    ]);
    const me = await as(token, 'GET', '/v1/me');
    expect(me.body).toMatchObject({
      outcome: 'passed',
      attempts: { used: 1, max: 3, remaining: 2 },
      activeAttemptId: null,
    });
    expect(me.body.candidate.idNumber).toMatch(/^\d{3}\*+\d{3}[\dX]$/);
    expect((await as(token, 'POST', '/v1/attempts', {})).body.code).toBe('already_passed');

    const record = await waitFor(async () => {
      const r = await t.admin('GET', `/v1/admin/attempts/${a.id}`);
      return r.status === 200 && r.body.status === 'finished' ? r.body : null;
    });
    expect(record).toMatchObject({ passed: true, score: 60, number: 1 });
    expect(record.paper.sections[1].questions).toHaveLength(80);
    expect(record.paper.sections[0].questions[0].correct).toEqual(['C']);
    expect(record.events).toContainEqual(expect.objectContaining({ kind: 'submit', section: 0 }));
  });

  it('fails with 47/80, and three failed tries end the assessment', async () => {
    const { token } = await newCandidate('bj');
    const seen = new Set<string>();
    for (let n = 1; n <= 3; n++) {
      const a = (await as(token, 'POST', '/v1/attempts', {})).body;
      expect(a.number).toBe(n);
      const spec = await answerSection(t, token, a, 20);
      for (const q of spec.section.questions) {
        // Earlier tries' items are avoided while the bank has enough others (230 items, 3 × 80 drawn).
        expect(seen.has(q.id)).toBe(false);
        seen.add(q.id);
      }
      await answerSection(t, token, spec, 47);
      const r = (await as(token, 'GET', `/v1/attempts/${a.id}/result`)).body;
      expect(r).toMatchObject({ passed: false, score: 67 });
      expect(r.sections[1]).toMatchObject({ score: 47, passed: false });
    }
    const me = (await as(token, 'GET', '/v1/me')).body;
    expect(me).toMatchObject({ outcome: 'failed', attempts: { used: 3, remaining: 0 } });
    const fourth = await as(token, 'POST', '/v1/attempts', {});
    expect(fourth.status).toBe(403);
    expect(fourth.body.code).toBe('attempt_cap_reached');
  });

  it('maps letters back to bank keys, keeps multiple-choice whole, clears with []', async () => {
    const { token } = await newCandidate('bj');
    const a = (await as(token, 'POST', '/v1/attempts', {})).body;
    const q = a.section.questions[0];
    const right = rightLetters(q);
    let r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: right } });
    expect(r.status).toBe(200);
    expect(r.body.saved).toBe(1);
    expect(Date.parse(r.body.serverTime)).toBeGreaterThan(0);
    expect((await as(token, 'GET', `/v1/attempts/${a.id}`)).body.answers[q.id]).toEqual(right);
    r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: [] } });
    expect((await as(token, 'GET', `/v1/attempts/${a.id}`)).body.answers[q.id]).toBeUndefined();

    // Invalid choices change nothing, whole request refused.
    const q2 = a.section.questions[1];
    r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q2.id]: ['A'], [q.id]: ['A', 'B'] } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('invalid_choice');
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: ['F'] } });
    expect(r.body.code).toBe('invalid_choice');
    const view = (await as(token, 'GET', `/v1/attempts/${a.id}`)).body;
    expect(view.answers[q2.id]).toBeUndefined();

    // A question of the next section is not answerable yet; an unknown one neither.
    const record = await waitFor(async () => {
      const x = await t.admin('GET', `/v1/admin/attempts/${a.id}`);
      return x.status === 200 ? x.body : null;
    });
    const later = record.paper.sections[1].questions[0].id;
    r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [later]: ['A'] } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('question_not_in_section');
    r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { 'no-such-question': ['A'] } });
    expect(r.body.code).toBe('question_not_in_section');

    // Submitting is idempotent; answers to a submitted section are refused.
    const s1 = await as(token, 'POST', `/v1/attempts/${a.id}/sections/law/submit`);
    const s2 = await as(token, 'POST', `/v1/attempts/${a.id}/sections/law/submit`);
    expect(s1.body.section.id).toBe('specialty');
    expect(s2.body.section.id).toBe('specialty');
    expect(s2.body.section.endsAt).toBe(s1.body.section.endsAt);
    r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: right } });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('section_closed');
    expect((await as(token, 'GET', `/v1/attempts/${a.id}/result`)).body.code).toBe('attempt_not_finished');
    expect((await as(token, 'POST', '/v1/attempts', {})).body.code).toBe('attempt_in_progress');
  });
});

describe('the three-try cap under concurrency', () => {
  it('50 simultaneous starts create exactly one try', async () => {
    const { token } = await newCandidate('bj');
    const replies = await Promise.all(Array.from({ length: 50 }, () => as(token, 'POST', '/v1/attempts', {})));
    const created = replies.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409).every((r) => r.body.code === 'attempt_in_progress')).toBe(true);
    expect(replies.filter((r) => r.status !== 201)).toHaveLength(49);
    const me = (await as(token, 'GET', '/v1/me')).body;
    expect(me.attempts.used).toBe(1);
    expect(me.activeAttemptId).toBe(created[0]!.body.id);
  });

  it('20 simultaneous starts at two used tries create exactly one more', async () => {
    const { token } = await newCandidate('bj');
    for (let n = 0; n < 2; n++) {
      const a = (await as(token, 'POST', '/v1/attempts', {})).body;
      await as(token, 'POST', `/v1/attempts/${a.id}/sections/law/submit`);
      await as(token, 'POST', `/v1/attempts/${a.id}/sections/specialty/submit`);
    }
    const replies = await Promise.all(Array.from({ length: 20 }, () => as(token, 'POST', '/v1/attempts', {})));
    expect(replies.filter((r) => r.status === 201).map((r) => r.body.number)).toEqual([3]);
    const a3 = replies.find((r) => r.status === 201)!.body;
    await as(token, 'POST', `/v1/attempts/${a3.id}/sections/law/submit`);
    await as(token, 'POST', `/v1/attempts/${a3.id}/sections/specialty/submit`);
    const again = await Promise.all(Array.from({ length: 20 }, () => as(token, 'POST', '/v1/attempts', {})));
    expect(again.every((r) => r.status === 403 && r.body.code === 'attempt_cap_reached')).toBe(true);
  });
});

describe('deadlines on the server clock', () => {
  const quick = {
    id: 'quick',
    title: '两秒测试',
    exams: [
      {
        id: 'business',
        maxAttempts: 3,
        sections: [
          { id: 'law', title: '法律法规', bank: 'law', durationSec: 2, items: 4, points: 4, passMark: 2 },
          { id: 'specialty', title: '专业知识', bank: '@specialty', durationSec: 2, items: 6, points: 6, passMark: 3 },
        ],
      },
    ],
  };

  it('finishes the try with no client call, keeping the answers given in time', async () => {
    await t.admin('PUT', '/v1/admin/cycles/quick', { title: '快速', ...openWindow(), policy: quick });
    const { token } = await newCandidate('quick');
    const a = (await as(token, 'POST', '/v1/attempts', {})).body;
    expect(a.section.remainingMs).toBeLessThanOrEqual(2000);
    const answers: Record<string, string[]> = {};
    a.section.questions.forEach((q: any, i: number) => (answers[q.id] = i < 3 ? rightLetters(q) : wrongLetters(q)));
    expect((await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers })).status).toBe(200);
    // Nobody calls now: a BullMQ delayed job closes law, the next one closes specialty and settles.
    const record = await waitFor(async () => {
      const r = await t.admin('GET', `/v1/admin/attempts/${a.id}`);
      return r.status === 200 && r.body.status === 'finished' ? r.body : null;
    }, 20_000);
    expect(record.scores.sections.map((s: any) => s.score)).toEqual([3, 0]);
    expect(record.passed).toBe(false);
    expect(record.timeline.map((s: any) => s.endedBy)).toEqual(['time', 'time']);
    // The specialty section started when law's time ran out, with its full time.
    expect(record.timeline[1].startedAt).toBe(record.timeline[0].endsAt);
    expect(record.timeline[1].endsAt - record.timeline[1].startedAt).toBe(2000);
    const result = (await as(token, 'GET', `/v1/attempts/${a.id}/result`)).body;
    expect(result).toMatchObject({ passed: false, score: 3, maxScore: 10 });
  });

  it('refuses answers after the deadline plus the grace', async () => {
    const { token } = await newCandidate('quick');
    const a = (await as(token, 'POST', '/v1/attempts', {})).body;
    const q = a.section.questions[0];
    await new Promise((r) => setTimeout(r, 2000 + 500 + 300));
    const r = await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: rightLetters(q) } });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('section_closed');
    // The request itself moved the try on: the specialty section is running.
    const view = (await as(token, 'GET', `/v1/attempts/${a.id}`)).body;
    expect(view.section?.id ?? 'finished').not.toBe('law');
  });
});

describe('the backstops', () => {
  it('the sweeper closes and records a try whose deadline jobs were lost', async () => {
    await t.admin('PUT', '/v1/admin/cycles/sweep', {
      title: 'sweep',
      ...openWindow(),
      policy: {
        id: 'one',
        title: 'one',
        exams: [
          {
            id: 'business',
            maxAttempts: 3,
            sections: [{ id: 'law', title: '法律法规', bank: 'law', durationSec: 1, items: 3, points: 3, passMark: 2 }],
          },
        ],
      },
    });
    const { token } = await newCandidate('sweep');
    const a = (await as(token, 'POST', '/v1/attempts', {})).body;
    const q = a.section.questions[0];
    await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: rightLetters(q) } });
    // Lose the deadline job, as a crash between start and queueing might.
    const job = await t.engine.deadlines.queue.getJob(`deadline-${a.id}-0`);
    expect(job).toBeTruthy();
    await job!.remove();
    const record = await waitFor(async () => {
      const r = await t.admin('GET', `/v1/admin/attempts/${a.id}`);
      return r.status === 200 && r.body.status === 'finished' ? r.body : null;
    }, 20_000);
    expect(record.scores.sections[0].score).toBe(1);
    expect(record.timeline[0].endedBy).toBe('time');
  });

  it('a try keeps the bank version it was drawn from', async () => {
    await t.admin('PUT', '/v1/admin/cycles/ver', {
      title: 'ver',
      ...openWindow(),
      policy: {
        id: 'v',
        title: 'v',
        exams: [
          {
            id: 'business',
            maxAttempts: 3,
            sections: [
              { id: 'law', title: '法律法规', bank: 'law', durationSec: 600, items: 3, points: 3, passMark: 2 },
            ],
          },
        ],
      },
    });
    const first = await newCandidate('ver');
    const a = (await as(first.token, 'POST', '/v1/attempts', {})).body;
    const v1 = (await t.admin('GET', '/v1/admin/banks/law')).body.versions[0].version;
    const next = makeBank('law', 70) as any;
    for (const q of next.questions) q.stem = `新版 ${q.stem}`;
    expect((await t.admin('PUT', '/v1/admin/banks/law', next)).status).toBe(201);
    const view = (await as(first.token, 'GET', `/v1/attempts/${a.id}`)).body;
    expect(view.section.questions.map((q: any) => q.stem)).toEqual(a.section.questions.map((q: any) => q.stem));
    expect(view.section.questions.every((q: any) => !q.stem.startsWith('新版'))).toBe(true);
    const second = await newCandidate('ver');
    const b = (await as(second.token, 'POST', '/v1/attempts', {})).body;
    expect(b.section.questions.every((q: any) => q.stem.startsWith('新版'))).toBe(true);
    // Retire the new version: new tries draw from the old one again.
    await t.admin('POST', `/v1/admin/banks/law/versions/${v1 + 1}/retire`);
    const third = await newCandidate('ver');
    const c = (await as(third.token, 'POST', '/v1/attempts', {})).body;
    expect(c.section.questions.every((q: any) => !q.stem.startsWith('新版'))).toBe(true);
  });
});

describe('object-level authorization', () => {
  it("another candidate's try is not found, for reading and for writing", async () => {
    const alice = await newCandidate('bj');
    const bob = await newCandidate('bj');
    const a = (await as(alice.token, 'POST', '/v1/attempts', {})).body;
    const q = a.section.questions[0];
    for (const [method, path, body] of [
      ['GET', `/v1/attempts/${a.id}`, undefined],
      ['PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: ['A'] } }],
      ['POST', `/v1/attempts/${a.id}/sections/law/submit`, undefined],
      ['GET', `/v1/attempts/${a.id}/result`, undefined],
    ] as const) {
      const r = await as(bob.token, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.code).toBe('not_found');
    }
    const still = (await as(alice.token, 'GET', `/v1/attempts/${a.id}`)).body;
    expect(still.answers).toEqual({});
    expect(still.section.id).toBe('law');
  });
});

describe('Redis is not the record', () => {
  it('a try is recorded by its first checkpoint, paper included, and a lost first record is written again', async () => {
    const { token, candidateId } = await newCandidate('bj');
    const a = (await as(token, 'POST', '/v1/attempts', {})).body;
    const sql = postgres(t.dbUrl, { max: 1, onnotice: () => {} });
    try {
      const row = await waitFor(
        async () =>
          (await sql`select status, candidate_id, paper, answers from attempts where attempt_id = ${a.id}`)[0],
      );
      expect(row).toMatchObject({ status: 'in_progress', candidate_id: candidateId, answers: {} });
      const drawn = (row.paper as { sections: { id: string; units: { items: { id: string }[] }[] }[] }).sections;
      expect(drawn.map((s) => s.id)).toEqual(['law', 'specialty']);
      expect(drawn[0]!.units.flatMap((u) => u.items.map((i) => i.id))).toEqual(
        a.section.questions.map((q: { id: string }) => q.id),
      );

      // As if the process that started it died before its first checkpoint: the next one writes it.
      await sql`delete from attempts where attempt_id = ${a.id}`;
      const q = a.section.questions[0];
      await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q.id]: wrongLetters(q) } });
      const again = await waitFor(
        async () => (await sql`select status, answers, paper from attempts where attempt_id = ${a.id}`)[0],
      );
      expect(again.status).toBe('in_progress');
      expect(Object.keys(again.answers)).toEqual([q.id]);
      expect(again.paper).toEqual(row.paper);
    } finally {
      await sql.end();
    }
  });

  it('checkpoints follow answers given, changed and cleared, and go on after Redis lost the try', async () => {
    const { token, candidateId } = await newCandidate('bj');
    const a = (await as(token, 'POST', '/v1/attempts', {})).body;
    const [q1, q2, q3, q4] = a.section.questions;
    const keys = t.engine.keys;
    const redis = new Redis(t.engine.config.REDIS_URL);
    const sql = postgres(t.dbUrl, { max: 1, onnotice: () => {} });
    // Postgres holds exactly what Redis holds (the bank's keys), at a log position past `after`.
    const inStep = (after = 0) =>
      waitFor(async () => {
        const live = await redis.hgetall(keys.answers(candidateId, a.id));
        const [row] = await sql`select answers, checkpoint_log from attempts where attempt_id = ${a.id}`;
        return row &&
          row.checkpoint_log > after &&
          JSON.stringify(Object.entries(row.answers).sort()) === JSON.stringify(Object.entries(live).sort())
          ? row
          : null;
      });
    try {
      await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, {
        answers: { [q1.id]: rightLetters(q1), [q2.id]: wrongLetters(q2) },
      });
      const first = await inStep();
      expect(Object.keys(first.answers).sort()).toEqual([q1.id, q2.id].sort());

      await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q1.id]: wrongLetters(q1), [q2.id]: [] } });
      await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q3.id]: rightLetters(q3) } });
      const second = await inStep(first.checkpoint_log);
      expect(Object.keys(second.answers).sort()).toEqual([q1.id, q3.id].sort());

      // Redis loses the try; the next request puts it back from the checkpoint, and checkpoints go on.
      await redis.del(...Object.values(attemptKeys(keys, { candidateId, attemptId: a.id })));
      const back = (await as(token, 'GET', `/v1/attempts/${a.id}`)).body;
      expect(back.answers).toEqual({ [q1.id]: wrongLetters(q1), [q3.id]: rightLetters(q3) });
      await as(token, 'PUT', `/v1/attempts/${a.id}/answers`, { answers: { [q4.id]: rightLetters(q4), [q3.id]: [] } });
      const third = await inStep(second.checkpoint_log);
      expect(Object.keys(third.answers).sort()).toEqual([q1.id, q4.id].sort());
    } finally {
      redis.disconnect();
      await sql.end();
    }
  });

  it('a login puts a candidate that Redis lost back into Redis, before the first start', async () => {
    const reg = registration();
    const r = await t.admin('POST', '/v1/admin/cycles/bj/candidates', { candidates: [reg] });
    const candidateId = r.body.results[0].candidateId as string;
    const keys = t.engine.keys;
    const redis = new Redis(t.engine.config.REDIS_URL);
    try {
      expect(await redis.hexists(keys.state(candidateId), 'loaded')).toBe(1);
      await redis.del(keys.state(candidateId), keys.profile(candidateId));
      await login(t, reg.idNumber, reg.password);
      expect(await redis.hexists(keys.state(candidateId), 'loaded')).toBe(1);
      expect(await redis.hget(keys.profile(candidateId), 'specialty')).toBe(reg.specialty);
    } finally {
      redis.disconnect();
    }
  });

  it('tries used and outcomes survive Redis losing its data, and a restart', async () => {
    const passer = await newCandidate('bj');
    const failer = await newCandidate('bj');
    const a = (await as(passer.token, 'POST', '/v1/attempts', {})).body;
    await answerSection(t, passer.token, await answerSection(t, passer.token, a, 20), 80);
    for (let n = 0; n < 3; n++) {
      const x = (await as(failer.token, 'POST', '/v1/attempts', {})).body;
      await as(failer.token, 'POST', `/v1/attempts/${x.id}/sections/law/submit`);
      await as(failer.token, 'POST', `/v1/attempts/${x.id}/sections/specialty/submit`);
    }
    // An in-progress try with checkpointed answers.
    const runner = await newCandidate('bj');
    const r1 = (await as(runner.token, 'POST', '/v1/attempts', {})).body;
    const q = r1.section.questions[0];
    await as(runner.token, 'PUT', `/v1/attempts/${r1.id}/answers`, { answers: { [q.id]: rightLetters(q) } });

    // Wait until Postgres has every record (BullMQ workers) and the checkpoint.
    const sql = postgres(t.dbUrl, { max: 1, onnotice: () => {} });
    try {
      await waitFor(async () => {
        const rows =
          await sql`select status, answers from attempts where candidate_id in (${passer.candidateId}, ${failer.candidateId}, ${runner.candidateId})`;
        const finished = rows.filter((r) => r.status === 'finished').length;
        const checkpointed = rows.some((r) => r.status === 'in_progress' && Object.keys(r.answers).length === 1);
        return finished === 4 && checkpointed;
      });
    } finally {
      await sql.end();
    }

    // Everything this engine had in Redis is gone, as after FLUSHDB or a restart without persistence.
    const redis = new Redis(t.engine.config.REDIS_URL);
    await deleteByPattern(redis, `*${t.prefix}*`);
    redis.disconnect();
    await t.restart();

    const fourth = await as(failer.token, 'POST', '/v1/attempts', {});
    expect(fourth.status).toBe(403);
    expect(fourth.body.code).toBe('attempt_cap_reached');
    expect((await as(failer.token, 'GET', '/v1/me')).body).toMatchObject({ outcome: 'failed', attempts: { used: 3 } });
    expect((await as(passer.token, 'POST', '/v1/attempts', {})).body.code).toBe('already_passed');
    const result = await as(passer.token, 'GET', `/v1/attempts/${a.id}/result`);
    expect(result.body).toMatchObject({ passed: true, score: 100 });
    // The try in progress is back, with its checkpointed answer and its own clock.
    const back = (await as(runner.token, 'GET', `/v1/attempts/${r1.id}`)).body;
    expect(back.section.id).toBe('law');
    expect(back.answers[q.id]).toEqual(rightLetters(q));
    expect((await as(runner.token, 'GET', '/v1/me')).body.activeAttemptId).toBe(r1.id);

    const results = await t.admin('GET', '/v1/admin/cycles/bj/results');
    const byId = new Map(results.body.results.map((r: any) => [r.idNumber, r]));
    expect(byId.get(passer.idNumber)).toMatchObject({ outcome: 'passed', triesUsed: 1, bestScore: 100 });
    expect(byId.get(failer.idNumber)).toMatchObject({ outcome: 'failed', triesUsed: 3 });
    expect(byId.get(runner.idNumber)).toMatchObject({ outcome: 'in_progress', triesUsed: 1 });
    const csv = await t.call('GET', '/v1/admin/cycles/bj/results', {
      token: 'test-admin-token-0123456789',
      headers: { accept: 'text/csv' },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text).toContain(passer.idNumber);
    expect(csv.text.split('\n')[0]).toContain('outcome');
  });
});
