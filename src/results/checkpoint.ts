// The checkpoint: what a worker copies from Redis to Postgres every few seconds for tries in
// progress, so that a Redis lost without persistence costs seconds of answers, not sittings.
// It reads only what changed since the last checkpoint (the attempt log past the position Postgres
// holds), so its cost follows the answers given, not the answers a try has.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client.js';
import type { AttemptRef, DeliveryService } from '../delivery/service.js';
import { unpackPaper } from '../delivery/paper.js';
import type { Keys } from '../redis/keys.js';
import { checkpointPositions, recordCheckpoints, recordStarted, type Checkpoint } from './records.js';

const LUA = readFileSync(new URL('./lua/checkpoint.lua', import.meta.url), 'utf8');

type Reply = ['gone'] | ['whole', number, string[], string[]] | ['delta', number, string[], string[] | null];
type WithCheckpoint = Redis & {
  dkCheckpoint(attempt: string, answers: string, log: string, from: number, whole: '0' | '1'): Promise<Reply>;
};

export function defineCheckpointScript(redis: Redis): void {
  if (!('dkCheckpoint' in redis)) redis.defineCommand('dkCheckpoint', { numberOfKeys: 3, lua: LUA });
}

export async function checkpoint(
  deps: { redis: Redis; keys: Keys; db: Db; delivery: DeliveryService },
  items: AttemptRef[],
) {
  const { keys, db, delivery } = deps;
  const redis = deps.redis as WithCheckpoint;
  const unique = [...new Map(items.map((i) => [i.attemptId, i])).values()];
  const positions = await checkpointPositions(
    db,
    unique.map((i) => i.attemptId),
  );
  const [[sec, micro], replies, papers] = await Promise.all([
    redis.time(),
    Promise.all(
      unique.map((i) =>
        redis.dkCheckpoint(
          keys.attempt(i.candidateId, i.attemptId),
          keys.answers(i.candidateId, i.attemptId),
          keys.log(i.candidateId, i.attemptId),
          positions.get(i.attemptId) ?? 0,
          positions.has(i.attemptId) ? '0' : '1',
        ),
      ),
    ),
    // A try Postgres has no row for gets its first record now, paper included.
    Promise.all(
      unique.map((i) => (positions.has(i.attemptId) ? null : redis.get(keys.paper(i.candidateId, i.attemptId)))),
    ),
  ]);
  const at = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);

  const updates: Checkpoint[] = [];
  const firsts: Parameters<typeof recordStarted>[1] = [];
  unique.forEach((ref, n) => {
    const reply = replies[n]!;
    if (reply[0] === 'gone') return;
    const from = positions.get(ref.attemptId) ?? 0;
    const c = reply[0] === 'whole' ? wholeCheckpoint(ref, from, reply, at) : deltaCheckpoint(ref, from, reply, at);
    if (!c) return;
    const paper = papers[n];
    if (!positions.has(ref.attemptId)) {
      if (paper)
        firsts.push({
          ...delivery.startedRecord(ref.candidateId, ref.attemptId, c.state!, unpackPaper(paper)),
          checkpoint: c,
        });
    } else updates.push(c);
  });
  const updated = await recordCheckpoints(db, updates);
  await recordStarted(db, firsts);
  return { checkpointed: updated, started: firsts.length };
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

/** The attempt hash as the checkpoint keeps it: the score lives in the finished record instead. */
function stateOf(flat: string[]): Record<string, string> | null {
  const { result: _result, ...state } = pairs(flat);
  return state.st ? state : null;
}

function wholeCheckpoint(
  ref: AttemptRef,
  from: number,
  reply: ['whole', number, string[], string[]],
  at: number,
): Checkpoint | null {
  const state = stateOf(reply[2]);
  if (!state) return null;
  return { ...ref, whole: true, answers: pairs(reply[3]), cleared: [], state, from, to: reply[1], at };
}

/** The last answer per question among the new log entries ("<ms>|answer|<question>|<keys>", "" clears). */
function deltaCheckpoint(
  ref: AttemptRef,
  from: number,
  reply: ['delta', number, string[], string[] | null],
  at: number,
): Checkpoint | null {
  const [, to, entries, stateFlat] = reply;
  if (!entries.length) return null;
  const answers: Record<string, string> = {};
  const cleared = new Set<string>();
  for (const e of entries) {
    const parts = e.split('|');
    if (parts[1] !== 'answer') continue;
    const [, , question, keys] = parts as [string, string, string, string];
    if (keys) {
      answers[question] = keys;
      cleared.delete(question);
    } else {
      delete answers[question];
      cleared.add(question);
    }
  }
  return {
    ...ref,
    whole: false,
    answers,
    cleared: [...cleared],
    state: stateFlat ? stateOf(stateFlat) : null,
    from,
    to,
    at,
  };
}
