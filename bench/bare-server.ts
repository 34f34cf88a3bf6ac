/** The parent's handle on a bare node:http server in a child process (bare-server.process.ts). */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BareRoute } from './bare-server.process.js';

export interface BareServer {
  url: string;
  pid: number;
  close: () => Promise<void>;
}

/** Starts a bare server answering each `path` with `body`. */
export async function startBareServer(
  routes: Array<{ path: string; body: Buffer; contentType: string }>,
): Promise<BareServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-bench-bare-'));
  const files: BareRoute[] = await Promise.all(
    routes.map(async (route, i) => {
      const file = join(dir, `body-${i}`);
      await writeFile(file, route.body);
      return { path: route.path, file, contentType: route.contentType };
    }),
  );
  const child = fork(fileURLToPath(new URL('./bare-server.process.js', import.meta.url)), [], {
    env: { ...process.env, BARE_SERVER_ROUTES: JSON.stringify(files) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`the bare server exited during start (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    close: async () => {
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await ended;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
