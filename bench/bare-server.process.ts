/**
 * The lowest possible cost of answering over HTTP on this machine: a bare `node:http`
 * server, in a process of its own, answering each configured path with fixed bytes (read
 * once at start). A request body is read to its end first, as any server must. Started by
 * bare-server.ts; says `{ port }` over IPC when it listens.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareRoute {
  path: string;
  /** File holding the exact bytes to send. */
  file: string;
  contentType: string;
}

const routes = new Map(
  (JSON.parse(process.env['BARE_SERVER_ROUTES'] ?? '[]') as BareRoute[]).map((route) => [
    route.path,
    { body: readFileSync(route.file), contentType: route.contentType },
  ]),
);

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const route = routes.get(req.url ?? '');
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': route.contentType, 'Content-Length': route.body.length });
    res.end(route.body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
