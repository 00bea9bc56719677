// The second reference of the throughput ratio: what a save costs with no framework at all.
// node:http, the body parsed with JSON.parse, the token hashed as the engine hashes it, and the
// engine's own save script (src/delivery/store/lua/save.lua, through the attempt store's typed
// wrapper) run once through ioredis against the engine's own keys. No hono, no zod, no service layer.
// The gap between this and the bare server is the price of the Redis round trip; the gap between
// this and the engine is the price of everything else.
//   PORT=4001 REDIS_URL=redis://127.0.0.1:6379 REDIS_PREFIX=dkb-… node --import tsx bench/floor-server.ts
import http from 'node:http';
import { parseToken } from '../src/candidates/service.js';
import { AttemptStore } from '../src/delivery/store/attempts.js';
import { connectRedis } from '../src/redis/client.js';
import { makeKeys } from '../src/redis/keys.js';

const port = Number(process.env.PORT ?? 4001);
const graceMs = Number(process.env.ANSWER_GRACE_MS ?? 3000);
const redis = await connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const store = new AttemptStore(redis, makeKeys(process.env.REDIS_PREFIX ?? ''));
const PATH = /^\/v1\/attempts\/([A-Za-z0-9]{8,32})\/answers$/;

function send(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const m = PATH.exec(req.url ?? '');
    const auth = parseToken((req.headers.authorization ?? '').slice(7));
    if (!m || !auth) return send(res, 404, '{}');
    const cid = auth.candidateId;
    const aid = m[1]!;
    const answers: [string, string][] = [];
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { answers: Record<string, string[]> };
      for (const [qid, letters] of Object.entries(body.answers)) answers.push([qid, letters.join('')]);
    } catch {
      return send(res, 400, '{}');
    }
    store
      .save(auth, { candidateId: cid, attemptId: aid }, answers, graceMs)
      .then((reply) => {
        if (!reply.ok) return send(res, 409, JSON.stringify({ code: reply.code }));
        send(res, 200, JSON.stringify({ saved: reply.saved, serverTime: new Date(reply.now).toISOString() }));
      })
      .catch(() => send(res, 500, '{}'));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`floor server listening on ${port}\n`));
process.on('SIGTERM', () => {
  server.close(() => void redis.quit().then(() => process.exit(0)));
  server.closeAllConnections();
});
process.on('SIGINT', () => process.exit(0));
