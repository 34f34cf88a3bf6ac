import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createGateway, type Gateway } from '../src/gateway.js';
import { deepMerge } from '../test/support/test-gateway.js';
import { BENCH_DATABASE_URL, dropBenchSchema } from './bench-database.js';

export interface BenchGateway {
  gateway: Gateway;
  url: string;
  /** Scratch folder of this run (config.yaml, managed folders); removed by close(). */
  dir: string;
  close: () => Promise<void>;
}

/**
 * The real gateway in this process for a benchmark: a free port on 127.0.0.1, its own
 * `bench_<random>` schema on the machine's PostgreSQL, its own folders, the logging
 * interceptor off and log level warn; `config` (snake_case, as in config.yaml) goes on top.
 */
export async function startBenchGateway(
  name: string,
  config: Record<string, unknown>,
  options: { bootstrapKeySink?: (message: string) => void } = {},
): Promise<BenchGateway> {
  const dir = await mkdtemp(join(tmpdir(), `sg-bench-${name}-`));
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const configPath = join(dir, 'config.yaml');
  const base = {
    server: { port: 0, host: '127.0.0.1' },
    middleware: { logging: { enabled: false, log_level: 'warn' } },
    database: { url: BENCH_DATABASE_URL, schema },
    paths: {
      reference_audio: join(dir, 'ra'),
      voices: join(dir, 'voices'),
      outputs: join(dir, 'outputs'),
      temp: join(dir, 'tmp'),
    },
  };
  await writeFile(configPath, stringify(deepMerge(base, config)));
  const gateway = await createGateway({ configPath, env: {}, ...options });
  const close = async (): Promise<void> => {
    await gateway.close();
    await dropBenchSchema(schema);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    return { gateway, url: await gateway.listen(), dir, close };
  } catch (error) {
    await close();
    throw error;
  }
}
