import { mkdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations/all-migrations.js';
import type { DatabaseConfig } from '../config/config.schema.js';
import { ALL_ENTITIES } from './all-entities.js';
import { EmbeddedPostgres } from './embedded/embedded-postgres.js';

export interface DatabaseConnection {
  dataSource: DataSource;
  /** 'postgres' for DATABASE_URL, 'embedded' for the PGlite default. */
  kind: 'postgres' | 'embedded';
  close(): Promise<void>;
}

export interface ConnectOptions {
  config: DatabaseConfig;
  /** Relative data folders resolve against this. */
  rootDir: string;
  logger: Logger;
  /** Overrides database.run_migrations_on_start (the CLI runs them itself). */
  runMigrations?: boolean;
}

/**
 * Opens the database the config names: PostgreSQL at database.url, or else the embedded
 * PGlite served to the same `pg` driver from a child process. Both get the same
 * migrations; `synchronize` is never on.
 */
export async function connectDatabase(options: ConnectOptions): Promise<DatabaseConnection> {
  const { config, logger } = options;
  let embedded: EmbeddedPostgres | undefined;
  let url = config.url;
  if (!url) {
    const dataDir = isAbsolute(config.embedded.dataDir)
      ? config.embedded.dataDir
      : resolve(options.rootDir, config.embedded.dataDir);
    await mkdir(dataDir, { recursive: true });
    const started = Date.now();
    // One socket connection per pool client, plus one for the migration runner.
    embedded = await EmbeddedPostgres.start({ dataDir, maxConnections: config.pool.max + 2 });
    logger.info({ dataDir, ms: Date.now() - started }, 'embedded database started');
    embedded.onExit((exit) => {
      if (!exit.expected)
        logger.fatal({ code: exit.code, signal: exit.signal }, 'embedded database exited unexpectedly');
    });
    url = embedded.url;
  }
  try {
    if (config.schema !== 'public') await ensureSchema(url, config.schema);
    const dataSource = new DataSource({
      type: 'postgres',
      url,
      schema: config.schema,
      entities: ALL_ENTITIES,
      migrations: ALL_MIGRATIONS,
      migrationsTableName: 'migrations',
      migrationsTransactionMode: 'each',
      synchronize: false,
      logging: false,
      extra: {
        max: config.pool.max,
        idleTimeoutMillis: config.pool.idleTimeoutMs,
        connectionTimeoutMillis: config.pool.connectionTimeoutMs,
        ...(config.schema !== 'public' ? { options: `-c search_path=${config.schema}` } : {}),
      },
    });
    await dataSource.initialize();
    if (options.runMigrations ?? config.runMigrationsOnStart) {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    }
    const kind = embedded ? 'embedded' : 'postgres';
    return {
      dataSource,
      kind,
      close: async () => {
        if (dataSource.isInitialized) await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

async function ensureSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The schema name is validated by the config schema (^[a-z_][a-z0-9_]*$), so quoting is safe.
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
}
