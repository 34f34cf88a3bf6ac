import type { RawAnswer } from './fuzz-http.js';
import type { FuzzRequest } from './request-fuzzer.js';

/*
 * What the fuzz test holds every answer and log line to, and how it reports what broke:
 * grouped by (method, route, status, message), one smallest reproducing request each.
 */

/** A stack frame as V8 prints it: `at fn (/path/file.js:1:2)`, `at /path:1:2`, `at node:internal/…`. */
const STACK_FRAME = /\bat (?:async )?(?:[\w$.<>[\] ]+ )?\(?(?:file:\/\/|node:|\/)[^()\s]*:\d+:\d+\)?/;
/** An error printed with its class name, as `String(error)` or a stack does. */
const ERROR_DUMP = /\b[A-Z][A-Za-z]*Error: \S/;
/** Where the server's code lives. */
const SOURCE_PATH = /\/src\/|\bdist\/|node_modules\/|\.(?:ts|js):\d+:\d+/;
/** A whole API key (id and secret), not the `sgk_<id>_…` prefix listings show. */
const FULL_KEY = /sgk_[0-9A-Za-z]{12}_[0-9A-Za-z]{60,}/;

export interface Finding {
  problem: string;
  method: string;
  route: string;
  /** The answer's status, or what happened instead ('crash', 'no answer', 'log'). */
  status: string;
  /** The error message (the body's, or the logged error's for a 500). */
  message: string;
  request: FuzzRequest | null;
  detail?: string;
}

/** True for a status the gateway must never answer: any 5xx but a 503 that says when to retry. */
export function isForbiddenStatus(answer: RawAnswer): boolean {
  return answer.status >= 500 && !(answer.status === 503 && answer.headers['retry-after'] !== undefined);
}

/** What leaks from a text: stack frames, error dumps, source paths, secrets. */
export function leaksIn(text: string, secrets: readonly string[]): string[] {
  const found: string[] = [];
  if (STACK_FRAME.test(text)) found.push('stack frame');
  if (ERROR_DUMP.test(text)) found.push('error dump');
  if (SOURCE_PATH.test(text)) found.push('source path');
  for (const secret of secrets) if (secret && text.includes(secret)) found.push(`secret ${mask(secret)}`);
  if (FULL_KEY.test(text) && !secrets.some((secret) => text.includes(secret))) found.push('an sgk_ key');
  return found;
}

/** A secret named without printing it. */
export function mask(secret: string): string {
  return `${secret.slice(0, 8)}…(${secret.length} chars)`;
}

/** The message an answer's body gives (envelope or OpenAI shape), else its start. */
export function messageOf(answer: RawAnswer): string {
  const text = answer.body.toString('utf8');
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } };
    const message = body.message ?? body.error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON
  }
  return text.slice(0, 120);
}

/** Digits, ids and long runs normalised, so one defect is one group. */
function normalise(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]{27}/gi, '<uuid>')
    .replace(/\d{3,}/g, 'N')
    .replace(/(.)\1{9,}/g, '$1…')
    .slice(0, 200);
}

/** Long runs of one unit shown as `"["×100000`, so a huge body stays readable. */
export function describeBytes(bytes: Buffer, limit = 600): string {
  const text = JSON.stringify(bytes.toString('utf8')).slice(1, -1);
  const squeezed = text.replace(
    /([\s\S]{1,8}?)\1{15,}/g,
    (run, unit: string) => `⟨${unit}×${run.length / unit.length}⟩`,
  );
  return squeezed.length > limit ? `${squeezed.slice(0, limit)}… (${bytes.length} bytes in all)` : squeezed;
}

export function describeRequest(request: FuzzRequest, seed: number): string {
  const lines = [
    `${request.method} ${request.target.length > 300 ? `${request.target.slice(0, 300)}…` : request.target}   [#${request.index} ${request.kind}, key: ${request.key}, framing: ${request.framing}]`,
  ];
  if (request.authorization)
    lines.push(`  Authorization: ${describeBytes(Buffer.from(request.authorization), 120)}`);
  for (const [name, value] of request.headers)
    lines.push(`  ${name}: ${describeBytes(Buffer.from(value, 'latin1'), 200)}`);
  if (request.body) lines.push(`  body (${request.body.length} bytes): ${describeBytes(request.body)}`);
  lines.push(`  replay: FUZZ_SEED=${seed} FUZZ_ONLY=${request.index}`);
  return lines.join('\n');
}

function sizeOf(finding: Finding): number {
  return finding.request ? (finding.request.body?.length ?? 0) + finding.request.target.length : Infinity;
}

/** Every finding of a run, grouped. */
export class FindingBook {
  private readonly groups = new Map<string, { count: number; smallest: Finding }>();

  add(finding: Finding): void {
    const key = [
      finding.problem,
      finding.method,
      finding.route,
      finding.status,
      normalise(finding.message),
    ].join(' | ');
    const group = this.groups.get(key);
    if (!group) this.groups.set(key, { count: 1, smallest: finding });
    else {
      group.count++;
      if (sizeOf(finding) < sizeOf(group.smallest)) group.smallest = finding;
    }
  }

  get size(): number {
    return this.groups.size;
  }

  /** The report: one entry per group, sorted by route. */
  format(seed: number): string {
    const entries = [...this.groups.entries()].sort(([a], [b]) => a.localeCompare(b));
    return entries
      .map(([, { count, smallest }], n) => {
        const head = `${n + 1}. [${smallest.problem}] ${smallest.method} ${smallest.route} → ${smallest.status}: ${normalise(smallest.message)}  (×${count}, seed ${seed})`;
        const detail = smallest.detail ? `\n   ${smallest.detail.split('\n').join('\n   ')}` : '';
        const request = smallest.request
          ? `\n   ${describeRequest(smallest.request, seed).split('\n').join('\n   ')}`
          : '';
        return `${head}${detail}${request}`;
      })
      .join('\n\n');
  }

  toJSON(): unknown[] {
    return [...this.groups.values()].map(({ count, smallest }) => ({
      count,
      ...smallest,
      request: smallest.request
        ? { ...smallest.request, body: smallest.request.body?.toString('base64') }
        : null,
    }));
  }
}
