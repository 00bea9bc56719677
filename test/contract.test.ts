// The contract as a new user meets it (DESIGN §8 "Ids" and choice letters), through HTTP against
// real Postgres, Redis and BullMQ; and every JSON answer matches the schema the OpenAPI document shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptView, meView, resultView, saveReply } from '../src/delivery/schemas.js';
import { Redis } from 'ioredis';
import { SAVE_BUDGET, attemptKeys } from '../src/delivery/store/attempts.js';
import { startTestEngine, type TestEngine } from './support/engine.js';
import { RIGHT, openWindow, registration } from './support/fixtures.js';
import { login, rightLetters } from './support/sitting.js';

let t: TestEngine;

/** Ids as a Chinese exam office writes them, with the ASCII punctuation the contract allows. */
const UNICODE_IDS = [
  '法规-0001',
  '法规-0002',
  '医师法（第二十三条）',
  'law~1:2,3;4|5',
  'constructor',
  '__proto__',
  '病例-01-1',
  '病例-01-2',
];

function option(key: string, id: string, right: boolean) {
  return { key, text: right ? `${RIGHT}${id}` : `${id} 干扰项 ${key}` };
}

function unicodeBank() {
  const single = (id: string) => ({
    id,
    type: 'single',
    stem: `题干 ${id}`,
    options: ['A', 'B', 'C', 'D'].map((k) => option(k, id, k === 'B')),
    answer: ['B'],
    topic: '医师法',
  });
  return {
    bankId: 'law',
    title: '法律法规（中文编号）',
    questions: [
      single('法规-0001'),
      single('法规-0002'),
      single('医师法（第二十三条）'),
      single('law~1:2,3;4|5'),
      // Names of JavaScript built-ins: no object lookup may find Object.prototype's members.
      single('constructor'),
      single('__proto__'),
      {
        id: '病例-01',
        type: 'case',
        stem: '病例：……',
        topic: '病例',
        questions: [single('病例-01-1'), single('病例-01-2')],
      },
    ],
  };
}

beforeAll(async () => {
  t = await startTestEngine({ ANSWER_GRACE_MS: '500' });
  const bank = await t.admin('PUT', '/v1/admin/banks/law', unicodeBank());
  expect(bank.status, bank.text).toBe(201);
  const policy = {
    id: 'ids',
    title: '编号测试',
    exams: [
      {
        id: 'business',
        maxAttempts: 3,
        passRule: 'all-sections',
        sections: [{ id: 'law', title: '法律法规', bank: 'law', durationSec: 600, items: 8, points: 8, passMark: 5 }],
      },
    ],
  };
  expect((await t.admin('PUT', '/v1/admin/cycles/ids', { title: '编号', ...openWindow(), policy })).status).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

describe('question ids are any printable Unicode (DESIGN §8)', () => {
  it('rejects ids with whitespace, "/" or "\\" or over 80 characters, naming the question', async () => {
    for (const bad of ['法规 0001', '法规/0001', '法规\\0001', '法'.repeat(81), '']) {
      const bank = unicodeBank();
      bank.questions[0]!.id = bad;
      const r = await t.admin('PUT', '/v1/admin/banks/law-bad', { ...bank, bankId: 'law-bad' });
      expect(r.status, bad).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.body.code).toBe('validation_failed');
      expect(r.body.errors, r.text).toContainEqual(expect.objectContaining({ field: 'id' }));
    }
  });

  it('a bank with such ids is sat end to end: start, save, view, submit, result, record', async () => {
    const reg = registration();
    await t.admin('POST', '/v1/admin/cycles/ids/candidates', { candidates: [reg] });
    const token = await login(t, reg.idNumber, reg.password);

    const me = await t.call('GET', '/v1/me', { token });
    expect(() => meView.parse(me.body)).not.toThrow();

    const started = await t.call('POST', '/v1/attempts', { token, body: {} });
    expect(started.status, started.text).toBe(201);
    const view = attemptView.parse(started.body);
    expect(view.section!.questions.map((q) => q.id).sort()).toEqual([...UNICODE_IDS].sort());
    const group = view.section!.questions.find((q) => q.id === '病例-01-1')!.group;
    expect(group).toEqual({ id: '病例-01', type: 'case', stem: '病例：……' });

    const answers = Object.fromEntries(view.section!.questions.map((q) => [q.id, rightLetters(q)]));
    const saved = await t.call('PUT', `/v1/attempts/${view.id}/answers`, { token, body: { answers } });
    expect(saved.status, saved.text).toBe(200);
    expect(saveReply.parse(saved.body).saved).toBe(8);

    // The raw body: zod's record output cannot hold a "__proto__" key, JSON can.
    const again = (await t.call('GET', `/v1/attempts/${view.id}`, { token })).body;
    expect(attemptView.safeParse(again).success).toBe(true);
    expect(again.answers).toEqual(answers);

    const done = await t.call('POST', `/v1/attempts/${view.id}/sections/law/submit`, { token });
    expect(attemptView.parse(done.body).status).toBe('finished');
    const result = resultView.parse((await t.call('GET', `/v1/attempts/${view.id}/result`, { token })).body);
    expect(result).toMatchObject({ passed: true, score: 8, maxScore: 8 });

    // The record in Postgres has every answer under its Unicode id, and its history decodes.
    let record: any;
    for (let i = 0; i < 100 && record?.status !== 'finished'; i++) {
      record = (await t.admin('GET', `/v1/admin/attempts/${view.id}`)).body;
      if (record?.status !== 'finished') await new Promise((r) => setTimeout(r, 100));
    }
    expect(record.status).toBe('finished');
    const answered = record.paper.sections[0].questions.filter((q: any) => q.answer.length);
    expect(answered.map((q: any) => q.id).sort()).toEqual([...UNICODE_IDS].sort());
    expect(record.events).toContainEqual(expect.objectContaining({ kind: 'answer', questionId: 'law~1:2,3;4|5' }));
  });
});

describe('choice letters (DESIGN §8)', () => {
  it('a letter outside A-H and T/F, or not shown on that question, is 422 invalid_choice and saves nothing', async () => {
    const reg = registration();
    await t.admin('POST', '/v1/admin/cycles/ids/candidates', { candidates: [reg] });
    const token = await login(t, reg.idNumber, reg.password);
    const view = attemptView.parse((await t.call('POST', '/v1/attempts', { token, body: {} })).body);
    const q = view.section!.questions[0]!;
    const other = view.section!.questions[1]!;
    // The questions have four options, A-D: E is a letter, but not one shown here.
    for (const letters of [['Z'], ['a'], ['E'], ['AB'], [''], ['A', 'A'], ['1']]) {
      const r = await t.call('PUT', `/v1/attempts/${view.id}/answers`, {
        token,
        body: { answers: { [other.id]: ['A'], [q.id]: letters } },
      });
      expect(r.status, JSON.stringify(letters)).toBe(422);
      expect(r.body.code).toBe('invalid_choice');
    }
    // Malformed bodies stay 400: a letter that is not a string.
    const malformed = await t.call('PUT', `/v1/attempts/${view.id}/answers`, {
      token,
      body: { answers: { [q.id]: [1] } },
    });
    expect(malformed.status).toBe(400);
    const after = attemptView.parse((await t.call('GET', `/v1/attempts/${view.id}`, { token })).body);
    expect(after.answers).toEqual({});
  });
});

describe("a try's history is bounded (exam-day safety)", () => {
  it('resending the same answers writes nothing; a flood of changes gets 429 rate_limited with Retry-After', async () => {
    const reg = registration();
    const r = await t.admin('POST', '/v1/admin/cycles/ids/candidates', { candidates: [reg] });
    const candidateId = r.body.results[0].candidateId as string;
    const token = await login(t, reg.idNumber, reg.password);
    const view = attemptView.parse((await t.call('POST', '/v1/attempts', { token, body: {} })).body);
    const q = view.section!.questions.find((x) => x.type === 'single')!;
    const logKey = attemptKeys(t.engine.keys, { candidateId, attemptId: view.id }).log;
    const redis = new Redis(t.engine.config.REDIS_URL);
    try {
      const save = (letter: string) =>
        t.call('PUT', `/v1/attempts/${view.id}/answers`, { token, body: { answers: { [q.id]: [letter] } } });
      expect((await save('A')).status).toBe(200);
      const length = await redis.llen(logKey);
      for (let i = 0; i < 20; i++) expect((await save('A')).status).toBe(200);
      expect(await redis.llen(logKey)).toBe(length);

      // Changes spend the try's budget (SAVE_BUDGET): past it, 429 with Retry-After, and no log growth.
      let refused: Awaited<ReturnType<typeof save>> | null = null;
      const began = Date.now();
      for (let i = 0; i < SAVE_BUDGET.capacity * 3 && !refused; i++) {
        const res = await save(i % 2 ? 'A' : 'B');
        if (res.status !== 200) refused = res;
      }
      expect(refused?.status).toBe(429);
      expect(refused?.body.code).toBe('rate_limited');
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const capped = await redis.llen(logKey);
      // The bucket refills while the loop runs: one change a second.
      const refilled = Math.ceil((Date.now() - began) / SAVE_BUDGET.msPerToken);
      expect(capped).toBeLessThanOrEqual(length + SAVE_BUDGET.capacity + refilled + 2);
      expect((await save('C')).status).toBe(429);
      expect(await redis.llen(logKey)).toBe(capped);
    } finally {
      redis.disconnect();
    }
  });
});
