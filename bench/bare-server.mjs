// The physical limit the bench compares the engine with: a bare node:http server that reads the
// request body and answers a small JSON body, as PUT /v1/attempts/:id/answers does. No framework.
//   PORT=4000 node bench/bare-server.mjs
import http from 'node:http';

const port = Number(process.env.PORT ?? 4000);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({ saved: 1, serverTime: new Date().toISOString() });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`bare server listening on ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)) && server.closeAllConnections());
process.on('SIGINT', () => process.exit(0));
