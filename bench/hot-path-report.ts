/** The hot-path benchmark's result rows: judged against their goals, printed as one table, saved as JSON. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type Status = 'PASS' | 'MISS' | 'ERROR';

export interface Goal {
  /** How the ratio must compare with `value`. */
  op: '>=' | '<=';
  value: number;
}

export interface ResultRow {
  id: string;
  what: string;
  /** The gateway's measured value, as printed (with its unit). */
  gateway: string;
  /** The limit's value re-measured in this run, as printed ('—' where the goal is absolute). */
  limit: string;
  /** gateway / limit (or value / goal for absolute goals); null when not a ratio. */
  ratio: number | null;
  goal: string;
  status: Status;
  /** Extra figures (CPU per request, percentiles, why it is ERROR). */
  note: string;
  /** Raw numbers for the JSON file. */
  data: Record<string, unknown>;
}

/** PASS / MISS of a ratio against its goal; ERROR whenever a request failed. */
export function judge(ratio: number, goal: Goal, failures: number): Status {
  if (failures > 0 || !Number.isFinite(ratio)) return 'ERROR';
  return (goal.op === '>=' ? ratio >= goal.value : ratio <= goal.value) ? 'PASS' : 'MISS';
}

export function goalText(goal: Goal): string {
  return `${goal.op === '>=' ? '≥' : '≤'} ${goal.value}`;
}

/** A row for a section that could not be measured. */
export function errorRow(id: string, what: string, goal: string, error: unknown): ResultRow {
  const message = error instanceof Error ? error.message : String(error);
  return {
    id,
    what,
    gateway: '—',
    limit: '—',
    ratio: null,
    goal,
    status: 'ERROR',
    note: message.split('\n')[0]?.slice(0, 200) ?? '',
    data: { error: error instanceof Error ? (error.stack ?? message) : message },
  };
}

/** The rows as a Markdown table (pasteable into the README). */
export function formatTable(rows: ResultRow[]): string {
  const header = ['id', 'what', 'gateway', 'limit', 'ratio', 'goal', 'result', 'note'];
  const cells = rows.map((row) => [
    row.id,
    row.what,
    row.gateway,
    row.limit,
    row.ratio === null ? '—' : row.ratio.toFixed(2),
    row.goal,
    row.status,
    row.note,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((line) => line[i]?.length ?? 0)),
  );
  const line = (values: string[]) =>
    `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

export async function writeJson(path: string, content: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(content, null, 2)}\n`);
}
