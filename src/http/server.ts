// Options of the Node HTTP server (main.ts and the test engine use the same). A client that sends
// its headers or body slowly, or stops half way, is cut after the request timeout instead of
// holding a connection for Node's default of 300 s.
import type { ServerOptions } from 'node:http';

/** Idle keep-alive connections stay open this long: the load generator and proxies rely on it. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export function serverOptions(config: { REQUEST_TIMEOUT_MS: number; HEADERS_TIMEOUT_MS: number }): ServerOptions {
  const requestTimeout = config.REQUEST_TIMEOUT_MS;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(config.HEADERS_TIMEOUT_MS, requestTimeout);
  return {
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Node checks the two timeouts on this interval (default 30 s, which would double them).
    connectionsCheckingInterval: Math.max(50, Math.min(5000, Math.floor(headersTimeout / 4))),
  };
}
