import type { DataSource } from 'typeorm';

export interface MigrationState {
  name: string;
  applied: boolean;
}

/** Every known migration, oldest first, with whether the database has it. */
export async function migrationStatus(dataSource: DataSource): Promise<MigrationState[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const exists = await dataSource.query<Array<{ present: boolean }>>(
    `SELECT to_regclass($1) IS NOT NULL AS present`,
    [`${String(dataSource.driver.schema ?? 'public')}.${table}`],
  );
  const applied = new Set<string>();
  if (exists[0]?.present) {
    const rows = await dataSource.query<Array<{ name: string }>>(`SELECT name FROM "${table}"`);
    for (const row of rows) applied.add(row.name);
  }
  return dataSource.migrations.map((m) => {
    const name = m.name ?? m.constructor.name;
    return { name, applied: applied.has(name) };
  });
}
