/**
 * The gateway under measurement, in a process of its own (bench/hot-path.bench.ts forks
 * it): its RSS and CPU are then its own, and the load generator does not share its event
 * loop. It starts createGateway on the config.yaml named by HOT_PATH_GATEWAY_CONFIG, says
 * `ready` with its URL over IPC, and then obeys the orders of `HotPathOrder`.
 * Log lines go to stdout (the parent keeps warnings and errors).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { AccountsService } from '../src/accounts/accounts.service.js';
import { TtsEngineRegistry } from '../src/engines/tts-engine-registry.js';
import { createGateway } from '../src/gateway.js';

export type HotPathOrder = { id: number } & (
  | { type: 'patch'; patch: Record<string, unknown> }
  /** A user on `plan` and a key with the tts scope. */
  | { type: 'create-key'; plan: string }
  /** Times `engine.synthesize` of the registry's engine (no HTTP, no gateway): ms per run. */
  | { type: 'synthesize'; engine: string; voiceId: string; text: string; runs: number }
  | { type: 'close' }
);

export type HotPathReply = { id: number; error?: string } & Record<string, unknown>;

export interface HotPathReady {
  type: 'ready';
  url: string;
}

async function main(): Promise<void> {
  const configPath = process.env['HOT_PATH_GATEWAY_CONFIG'];
  const rootDir = process.env['HOT_PATH_GATEWAY_ROOT'];
  if (!configPath || !rootDir)
    throw new Error('HOT_PATH_GATEWAY_CONFIG and HOT_PATH_GATEWAY_ROOT are required');
  // Not process.env: the shell's LOG_LEVEL, PORT, DATABASE_URL, … must not change what is measured.
  const gateway = await createGateway({ configPath, env: {}, rootDir, bootstrapKeySink: () => undefined });
  const url = await gateway.listen();

  const handle = async (order: HotPathOrder): Promise<Record<string, unknown>> => {
    switch (order.type) {
      case 'patch':
        await gateway.config.patch(order.patch);
        return {};
      case 'create-key': {
        const accounts = gateway.app.get(AccountsService);
        const user = await accounts.createUser({
          name: `bench-${order.id}`,
          email: `bench-${order.id}-${Date.now()}@example.com`,
          plan: order.plan,
        });
        const { token } = await accounts.issueKey(user.id, { name: 'bench', scopes: ['tts'] });
        return { token };
      }
      case 'synthesize': {
        const lease = gateway.app.get(TtsEngineRegistry).lease(order.engine);
        if ('unavailable' in lease) throw new Error(lease.unavailable);
        try {
          const times: number[] = [];
          const signal = new AbortController().signal;
          for (let i = 0; i < order.runs; i++) {
            const started = performance.now();
            await lease.engine.synthesize({ text: order.text, voiceId: order.voiceId, speed: 1 }, signal);
            times.push(performance.now() - started);
          }
          return { times };
        } finally {
          lease.release();
        }
      }
      case 'close':
        await gateway.close();
        return {};
    }
  };

  process.on('message', (order: HotPathOrder) => {
    handle(order).then(
      (reply) => {
        process.send?.({ id: order.id, ...reply } satisfies HotPathReply);
        if (order.type === 'close') process.disconnect();
      },
      (error: unknown) =>
        process.send?.({
          id: order.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies HotPathReply),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', url } satisfies HotPathReady);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `the bench gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
