import 'reflect-metadata';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigService, ConfigValidationError } from './config/config.service.js';
import { connectDatabase, type DatabaseConnection } from './database/database-connection.js';
import { migrationStatus } from './database/migration-status.js';
import { ACCOUNTS_CLI_OPTIONS, ACCOUNTS_USAGE, runAccountsCommand } from './accounts/accounts.cli.js';
import { AppError } from './common/app-error.js';
import { formatDoctorReport } from './doctor/doctor-result.js';
import { runDoctor } from './doctor/doctor.js';

/* The admin CLI (`npm run cli -- <command>`): a process edge like main.ts, so it reads argv and env. */

const USAGE = `speech-gateway CLI

Usage: npm run cli -- <command> [options]

Commands:
  migrate up            apply pending migrations (also: npm run migrate)
  migrate down [N]      revert the last N migrations (default 1)
  migrate status        list migrations and whether each is applied
  doctor [--json] [--port P]
                        pre-flight check: config, database, migrations, Redis, engines, ffmpeg,
                        folders, disk, port (also: npm run doctor); exit code 1 when a check fails
${ACCOUNTS_USAGE}

Options:
  --config PATH         config file (default config/config.yaml, or SPEECH_GATEWAY_CONFIG)
`;

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function withDatabase<T>(
  configPath: string,
  runMigrations: boolean,
  work: (database: DatabaseConnection, config: ConfigService) => Promise<T>,
): Promise<T> {
  const config = await ConfigService.load(configPath, process.env);
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const database = await connectDatabase({
    config: config.current.database,
    rootDir: process.cwd(),
    logger,
    runMigrations,
  });
  try {
    return await work(database, config);
  } finally {
    await database.close();
  }
}

async function runMigrate(configPath: string, action: string, count: number): Promise<void> {
  await withDatabase(configPath, false, async (database) => {
    const { dataSource } = database;
    if (action === 'up') {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      write(applied.length ? applied.map((m) => `applied ${m.name}`).join('\n') : 'nothing to apply');
    } else if (action === 'down') {
      for (let i = 0; i < count; i++) {
        const before = await migrationStatus(dataSource);
        const last = before.filter((m) => m.applied).pop();
        if (!last) {
          write('nothing to revert');
          break;
        }
        await dataSource.undoLastMigration({ transaction: 'each' });
        write(`reverted ${last.name}`);
      }
    } else {
      for (const m of await migrationStatus(dataSource)) write(`${m.applied ? '[x]' : '[ ]'} ${m.name}`);
    }
    write(`database: ${database.kind}`);
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      port: { type: 'string' },
      ...ACCOUNTS_CLI_OPTIONS,
    },
    allowPositionals: true,
  });
  const [command, action = 'up', countText = '1'] = positionals;
  if (values.help || !command) {
    write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const configPath = resolve(values.config ?? process.env['SPEECH_GATEWAY_CONFIG'] ?? 'config/config.yaml');
  if (command === 'migrate' && ['up', 'down', 'status'].includes(action)) {
    const count = Number(countText);
    if (!Number.isInteger(count) || count < 1) {
      process.stderr.write(`migrate down takes a positive count, got '${countText}'\n`);
      return 2;
    }
    await runMigrate(configPath, action, count);
    return 0;
  }
  if (command === 'doctor') {
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      process.stderr.write(`--port must be an integer between 0 and 65535, got '${values.port}'\n`);
      return 2;
    }
    const report = await runDoctor({ configPath, env: process.env, rootDir: process.cwd(), port });
    write(values.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
    return report.ok ? 0 : 1;
  }
  if (['users', 'keys', 'voices', 'import'].includes(command)) {
    const lines = await withDatabase(configPath, true, ({ dataSource }, config) =>
      runAccountsCommand(dataSource, config, positionals, values),
    );
    for (const line of lines) write(line);
    return 0;
  }
  process.stderr.write(`Unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof ConfigValidationError || error instanceof AppError
        ? `${error.message}\n`
        : `error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
