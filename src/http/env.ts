import type { CandidateAuth } from '../delivery/service.js';

/** Variables the auth middlewares set on the request context. */
export type AppEnv = { Variables: { candidate: CandidateAuth } };
