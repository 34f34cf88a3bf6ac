import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Type } from '@nestjs/common';
import pg from 'pg';
import { stringify } from 'yaml';
import type { Environment } from '../../src/config/env-overrides.js';
import { createGateway, type Gateway } from '../../src/gateway.js';

/** The machine's PostgreSQL (trust auth), as CI has it. */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://root@127.0.0.1:5432/test';

export interface TestGatewayOptions {
  database?: 'postgres' | 'embedded';
  /** Merged over the base test config (snake_case, as in config.yaml). */
  config?: Record<string, unknown>;
  env?: Environment;
  extraModules?: Type[];
  /** Text written as config.yaml instead of the generated one. */
  configText?: string;
  /** Use this PostgreSQL schema (shared by several gateways) instead of a fresh one; the caller drops it. */
  schema?: string;
  /** Receives the one-time bootstrap admin key. */
  bootstrapKeySink?: (message: string) => void;
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  dir: string;
  configPath: string;
  schema: string;
  /** Every log line written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  rawLogs: string[];
  close(): Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isRecord(value) && isRecord(out[key]) ? deepMerge(out[key], value) : value;
  }
  return out;
}

export function baseTestConfig(
  dir: string,
  database: 'postgres' | 'embedded',
  schema: string,
): Record<string, unknown> {
  return {
    server: { port: 0, host: '127.0.0.1', shutdown_timeout_seconds: 5 },
    auth: { enforce: false },
    middleware: { logging: { log_level: 'debug' } },
    database:
      database === 'postgres'
        ? { url: TEST_DATABASE_URL, schema, pool: { max: 5 } }
        : { embedded: { data_dir: join(dir, 'pglite') }, pool: { max: 5 } },
    paths: {
      reference_audio: join(dir, 'reference_audio'),
      voices: join(dir, 'voices'),
      outputs: join(dir, 'outputs'),
      temp: join(dir, 'tmp'),
    },
  };
}

/** A real server on a free port, with its own config file, folders and database schema. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const database = options.database ?? 'postgres';
  const dir = await mkdtemp(join(tmpdir(), 'sg-test-'));
  const schema = options.schema ?? newSchemaName();
  const configPath = join(dir, 'config.yaml');
  const text =
    options.configText ??
    `# test config\n${stringify(deepMerge(baseTestConfig(dir, database, schema), options.config ?? {}))}`;
  await writeFile(configPath, text);

  const logs: Array<Record<string, unknown>> = [];
  const rawLogs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        rawLogs.push(line);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not JSON (pretty format); kept in rawLogs
        }
      }
      callback();
    },
  });

  let gateway: Gateway;
  try {
    gateway = await createGateway({
      configPath,
      env: options.env ?? {},
      rootDir: dir,
      logDestination: destination,
      extraModules: options.extraModules,
      bootstrapKeySink: options.bootstrapKeySink,
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const url = await gateway.listen();
  return {
    gateway,
    url,
    dir,
    configPath,
    schema,
    logs,
    rawLogs,
    async close() {
      await gateway.close();
      if (database === 'postgres' && !options.schema) await dropSchema(schema);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function newSchemaName(): string {
  return `t_${randomBytes(5).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    // The job queue's (pg-boss) tables live beside the gateway's schema.
    await client.query(`DROP SCHEMA IF EXISTS "${schema}_pgboss" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Polls until `check` returns a truthy value or the deadline passes (no fixed sleeps). */
type Falsy = null | undefined | false | 0 | '';

export async function waitFor<T>(
  check: () => Promise<T | Falsy> | T | Falsy,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function requestJson<T = Record<string, unknown>>(
  url: string,
  init: RequestInit = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** Waits until the gateway has seeded its engines' voices (done in the background at start). */
export async function waitForVoices(
  url: string,
  query = 'language=en-us',
  atLeast = 1,
  headers: Record<string, string> = {},
): Promise<void> {
  await waitFor(
    async () => {
      const body = (
        await requestJson<{ data?: { voices?: unknown[] } }>(`${url}/tts/voices?${query}`, { headers })
      ).body;
      return (body.data?.voices?.length ?? 0) >= atLeast;
    },
    `voices (${query}) seeded`,
    60_000,
  );
}
