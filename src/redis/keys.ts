// Every Redis key of the engine is built here. Keys of one candidate share the hash tag
// `{c:<candidateId>}` so that one Lua script can touch all of them on a Redis Cluster.
import { createHash } from 'node:crypto';

export interface Keys {
  prefix: string;
  session(candidateId: string, tokenHash: string): string;
  profile(candidateId: string): string;
  state(candidateId: string): string;
  attempt(candidateId: string, attemptId: string): string;
  questions(candidateId: string, attemptId: string): string;
  answers(candidateId: string, attemptId: string): string;
  paper(candidateId: string, attemptId: string): string;
  log(candidateId: string, attemptId: string): string;
  /** A token Postgres did not know (a short-lived negative answer), beside but not the session key. */
  sessionMiss(candidateId: string, tokenHash: string): string;
  loginFailures(idNumber: string): string;
  loginFailuresByAddress(address: string): string;
  /** Pub/sub channel on which banks and cycles announce new versions. */
  events: string;
  /**
   * Tries whose Postgres record may lag Redis, spread over CHECKPOINT_BUCKETS sorted sets (member
   * "<candidateId> <attemptId>", score: when marked), and the members a worker has claimed.
   */
  checkpointDirty(bucket: number): string;
  checkpointClaimed(bucket: number): string;
  /** SCAN pattern that finds every try's keys (the backstop that marks them all). */
  attemptScan: string;
}

/** How many sorted sets the checkpoint marks are spread over (each its own slot on a cluster). */
export const CHECKPOINT_BUCKETS = 16;

export function makeKeys(prefix = ''): Keys {
  const c = (id: string) => `${prefix}ex:{c:${id}}`;
  return {
    prefix,
    session: (cid, hash) => `${c(cid)}:s:${hash}`,
    profile: (cid) => `${c(cid)}:p`,
    state: (cid) => `${c(cid)}:st`,
    attempt: (cid, aid) => `${c(cid)}:a:${aid}`,
    questions: (cid, aid) => `${c(cid)}:a:${aid}:q`,
    answers: (cid, aid) => `${c(cid)}:a:${aid}:ans`,
    paper: (cid, aid) => `${c(cid)}:a:${aid}:paper`,
    log: (cid, aid) => `${c(cid)}:a:${aid}:log`,
    sessionMiss: (cid, hash) => `${c(cid)}:ns:${hash}`,
    loginFailures: (idNumber) => `${prefix}ex:{login:${keyPart(idNumber)}}:fail`,
    loginFailuresByAddress: (address) => `${prefix}ex:{login-ip:${keyPart(address)}}:fail`,
    events: `${prefix}ex:events`,
    checkpointDirty: (bucket) => `${prefix}ex:{ck${bucket}}:dirty`,
    checkpointClaimed: (bucket) => `${prefix}ex:{ck${bucket}}:claimed`,
    attemptScan: `${prefix}ex:{c:*}:a:*`,
  };
}

const PLAIN_PART = /^[0-9A-Za-z.:/_-]{1,64}$/;
/**
 * A value a client wrote, made safe to be part of a key: short plain values stay readable, anything
 * else (too long, braces, spaces, other characters) becomes `#` and a digest, so a key is never
 * longer than about 100 bytes and a hash tag never ends early.
 */
export function keyPart(value: string): string {
  return PLAIN_PART.test(value)
    ? value
    : `#${createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 32)}`;
}

/** A BullMQ queue's prefix: its own hash tag, so that a queue's keys stay in one Redis Cluster slot. */
export const queuePrefix = (keys: Keys, queue: string) => `${keys.prefix}{dk-${queue}}`;
