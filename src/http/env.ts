import type { CandidateAuth } from '../delivery/service.js';

/** Variables the middlewares set on the request context. */
export type AppEnv = { Variables: { candidate: CandidateAuth; requestId: string } };
