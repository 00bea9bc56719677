import { Redis, type RedisOptions } from 'ioredis';

/** Opens a connection and fails fast, with a message an operator can act on, when Redis is not there. */
export async function connectRedis(url: string, opts: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableAutoPipelining: true, ...opts });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new RedisUnavailableError(url, err);
  }
  return redis;
}

export class RedisUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    const safeUrl = url.replace(/\/\/[^@/]*@/, '//***@');
    super(
      [
        `Redis is not reachable at ${safeUrl} (${(cause as Error)?.message ?? cause}).`,
        'The engine keeps its hot state in Redis and cannot start without it. Start one with:',
        '  redis-server --daemonize yes --port 6379            # Debian: apt-get install redis-server',
        '  docker compose up -d redis                           # or with the compose file of this repository',
        'or point REDIS_URL at a running Redis (redis://host:6379).',
      ].join('\n'),
    );
    this.name = 'RedisUnavailableError';
  }
}
