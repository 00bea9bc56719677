// The server's clock as seen from here. Every response that carries `serverTime` updates the
// offset (serverTime − local time when the response arrived); deadlines are compared with
// Date.now() + offset, so a wrong clock on the candidate's device does not matter.

let offsetMs = 0;
let synced = false;

export function syncClock(serverTimeIso: string | undefined, receivedAt = Date.now()): void {
  if (!serverTimeIso) return;
  const server = Date.parse(serverTimeIso);
  if (!Number.isFinite(server)) return;
  offsetMs = server - receivedAt;
  synced = true;
}

/** Milliseconds since the epoch on the server's clock (estimated). */
export function serverNow(): number {
  return Date.now() + offsetMs;
}

export function clockOffset(): number {
  return offsetMs;
}

export function clockSynced(): boolean {
  return synced;
}

/** Time left until an ISO instant on the server's clock, never below 0. */
export function remainingUntil(endsAtIso: string): number {
  return Math.max(0, Date.parse(endsAtIso) - serverNow());
}
