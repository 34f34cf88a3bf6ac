import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { startSecuredGateway } from './accounts.js';
import { deepMerge, startTestGateway, type TestGateway } from './test-gateway.js';

/*
 * One test gateway in a process of its own, driven by the fuzz test over IPC: an input
 * that kills the process ends this one, not the test run. Log lines go to stdout as they
 * are written (synchronous on a pipe), so the lines before a crash are not lost.
 */

export interface StartOrder {
  schema: string;
  /** First start on this schema: capture the bootstrap admin key. */
  first: boolean;
  config: Record<string, unknown>;
}

export type Order = { id: number; type: 'restore-config' | 'prototype' | 'close' };

export interface ReadyMessage {
  type: 'ready';
  url: string;
  adminKey?: string;
  configPath: string;
  routes: Array<{ method: string; path: string }>;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

function routesOf(t: TestGateway): Array<{ method: string; path: string }> {
  const app = t.gateway.app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } };
  return app.router.stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).map((method) => ({
          method: method.toUpperCase(),
          path: layer.route!.path,
        }))
      : [],
  );
}

const PRISTINE_PROTOTYPE = new Set(Object.getOwnPropertyNames(Object.prototype));

async function main(): Promise<void> {
  const order = JSON.parse(process.env['FUZZ_GATEWAY_ORDER'] ?? '{}') as StartOrder;
  let t: TestGateway;
  let adminKey: string | undefined;
  if (order.first) {
    ({ t, adminKey } = await startSecuredGateway({ schema: order.schema, config: order.config }));
  } else {
    t = await startTestGateway({
      schema: order.schema,
      config: deepMerge({ auth: { enforce: true } }, order.config),
    });
  }
  for (const line of t.rawLogs) process.stdout.write(`${line}\n`);
  const push = t.rawLogs.push.bind(t.rawLogs);
  t.rawLogs.push = (...lines: string[]) => {
    for (const line of lines) process.stdout.write(`${line}\n`);
    return push(...lines);
  };
  const originalConfig = await readFile(t.configPath, 'utf8');

  process.on('message', (message: Order) => {
    void (async () => {
      switch (message.type) {
        case 'restore-config': {
          await writeFile(t.configPath, originalConfig);
          const applied = await t.gateway.config.reloadFromFile();
          process.send?.({ id: message.id, applied, errors: t.gateway.config.validation.errors });
          break;
        }
        case 'prototype': {
          const added = Object.getOwnPropertyNames(Object.prototype).filter(
            (name) => !PRISTINE_PROTOTYPE.has(name),
          );
          process.send?.({ id: message.id, added });
          break;
        }
        case 'close':
          await t.close();
          process.send?.({ id: message.id });
          process.exit(0);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  const ready: ReadyMessage = {
    type: 'ready',
    url: t.url,
    adminKey,
    configPath: t.configPath,
    routes: routesOf(t),
  };
  process.send?.(ready);
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `the fuzz gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
