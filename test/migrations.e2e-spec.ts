import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pino from 'pino';
import { stringify } from 'yaml';
import { ALL_MIGRATIONS } from '../migrations/all-migrations.js';
import { parseConfig } from '../src/config/config.loader.js';
import { connectDatabase } from '../src/database/database-connection.js';
import { baseTestConfig, dropSchema } from './support/test-gateway.js';

const run = promisify(execFile);
const CLI = new URL('../src/cli.js', import.meta.url).pathname;
const MIGRATION_NAMES = ALL_MIGRATIONS.map((m) => m.name);

for (const kind of ['postgres', 'embedded'] as const) {
  describe(`migrations on ${kind}`, () => {
    let dir: string;
    let configPath: string;
    const schema = `m_${randomBytes(5).toString('hex')}`;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sg-migrate-'));
      configPath = join(dir, 'config.yaml');
      await writeFile(configPath, stringify(baseTestConfig(dir, kind, schema)));
    });
    after(async () => {
      if (kind === 'postgres') await dropSchema(schema);
      await rm(dir, { recursive: true, force: true });
    });

    const cli = async (...args: string[]) =>
      (
        await run(process.execPath, [CLI, ...args, '--config', configPath], {
          cwd: dir,
          env: { PATH: process.env['PATH'] },
        })
      ).stdout;

    async function tables(): Promise<string[]> {
      const parsed = parseConfig(stringify(baseTestConfig(dir, kind, schema)), {});
      assert.ok(parsed.ok);
      const db = await connectDatabase({
        config: parsed.config.database,
        rootDir: dir,
        logger: pino({ level: 'silent' }),
        runMigrations: false,
      });
      try {
        const rows = await db.dataSource.query<Array<{ table_name: string }>>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
          [kind === 'postgres' ? schema : 'public'],
        );
        return rows.map((r) => r.table_name);
      } finally {
        await db.close();
      }
    }

    it('applies every migration up, reports them, and reverts them all down', async () => {
      const up = await cli('migrate', 'up');
      for (const name of MIGRATION_NAMES) assert.match(up, new RegExp(`applied ${name}`));
      assert.match(up, new RegExp(`database: ${kind}`));
      assert.ok((await tables()).includes('analytics_events'));

      const status = await cli('migrate', 'status');
      for (const name of MIGRATION_NAMES) assert.match(status, new RegExp(`\\[x\\] ${name}`));
      assert.match(await cli('migrate', 'up'), /nothing to apply/);

      const down = await cli('migrate', 'down', String(MIGRATION_NAMES.length));
      for (const name of MIGRATION_NAMES) assert.match(down, new RegExp(`reverted ${name}`));
      const left = await tables();
      assert.ok(!left.includes('analytics_events'), `tables left: ${left.join(', ')}`);
      assert.match(await cli('migrate', 'status'), /\[ \]/);

      await cli('migrate', 'up');
      assert.ok((await tables()).includes('analytics_events'), 'up again after down');
    });
  });
}
