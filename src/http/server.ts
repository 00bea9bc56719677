// Options of the Node HTTP server (main.ts and the test engine use the same). A client that sends
// its headers or body slowly, or stops half way, is cut after the request timeout instead of
// holding a connection for Node's default of 300 s.
import type { ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';

/** Idle keep-alive connections stay open this long: the load generator and proxies rely on it. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Node answers a request line or headers over its 16 KiB limit itself, with a bare 431 and no
 * body; answer it as every other error, in problem+json. Attach to the server's 'clientError'.
 */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Node's own answers, as problem+json: 431 headers too large, 408 request timeout, 400 otherwise.
  const [status, reason, code, title, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ([
          431,
          'Request Header Fields Too Large',
          'payload_too_large',
          '请求头过大 (request header fields too large)',
          '地址或请求头超过 16 KiB (the request line or headers exceed 16 KiB)',
        ] as const)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ([
            408,
            'Request Timeout',
            'validation_failed',
            '请求超时 (request timeout)',
            '请求未在规定时间内完整送达 (the request did not arrive in time)',
          ] as const)
        : ([400, 'Bad Request', 'validation_failed', '请求格式有误 (bad request)', 'malformed HTTP request'] as const);
  const body = JSON.stringify({ type: `urn:dingkao:problem:${code}`, title, status, detail, code });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

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
