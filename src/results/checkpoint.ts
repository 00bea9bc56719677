// The checkpoint: what a worker copies from Redis to Postgres every few seconds for tries in
// progress, so that a Redis lost without persistence costs seconds of answers, not sittings. It
// asks the attempt store only for what changed since the log position Postgres holds, so its cost
// follows the answers given, not the answers a try has.
import type { Db } from '../db/client.js';
import type { AttemptRef, AttemptStore } from '../delivery/store/attempts.js';
import { checkpointPositions, recordCheckpoints, recordStarted } from './records.js';

export async function checkpoint(deps: { db: Db; store: AttemptStore }, items: AttemptRef[]) {
  const unique = [...new Map(items.map((i) => [i.attemptId, i])).values()];
  const positions = await checkpointPositions(
    deps.db,
    unique.map((i) => i.attemptId),
  );
  const changes = await deps.store.readChanges(unique.map((ref) => ({ ref, from: positions.get(ref.attemptId) })));
  const firsts = changes.filter((c) => c.started);
  const updated = await recordCheckpoints(
    deps.db,
    changes.filter((c) => !c.started),
  );
  await recordStarted(deps.db, firsts);
  return { checkpointed: updated, started: firsts.length };
}
