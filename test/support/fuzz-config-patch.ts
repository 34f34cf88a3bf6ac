import type { FuzzRandom } from './fuzz-random.js';
import {
  deepNesting,
  type FuzzJson,
  hugeString,
  objectWith,
  ODD_STRINGS,
  oddValueOfType,
  wrongTypeValue,
} from './fuzz-values.js';

type Path = Array<string | number>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every path in the document, split into leaves and containers (objects or arrays). */
function pathsOf(
  value: unknown,
  prefix: Path = [],
  out = { leaves: [] as Path[], containers: [] as Path[] },
) {
  if (Array.isArray(value)) {
    out.containers.push(prefix);
    value.forEach((item, i) => pathsOf(item, [...prefix, i], out));
  } else if (isRecord(value)) {
    out.containers.push(prefix);
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  } else {
    out.leaves.push(prefix);
  }
  return out;
}

function valueAt(document: unknown, path: Path): unknown {
  let at = document;
  for (const step of path) at = (at as Record<string | number, unknown> | undefined)?.[step];
  return at;
}

/** A copy of `target` with `value` at `path` (used inside arrays, which a merge patch replaces whole). */
function replaced(target: unknown, path: Path, value: FuzzJson): FuzzJson {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(target)) {
    const copy = structuredClone(target) as FuzzJson[];
    copy[head as number] = replaced(target[head as number], rest, value);
    return copy;
  }
  const base = (isRecord(target) ? structuredClone(target) : {}) as Record<string, FuzzJson>;
  return objectWith(String(head), replaced(base[String(head)], rest, value), base);
}

/** The JSON merge patch that puts `value` at `path` of `document`. */
export function mergePatchAt(document: unknown, path: Path, value: FuzzJson): FuzzJson {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(document)) return replaced(document, path, value);
  const child = isRecord(document) ? document[String(head)] : undefined;
  return objectWith(String(head), mergePatchAt(child, rest, value));
}

const ENGINE_GARBAGE: readonly FuzzJson[] = [
  { engines: { tts: 'x' } },
  { engines: { tts: 1 } },
  { engines: { chat: [null] } },
  { engines: { tts: [{ id: 'espeak', type: 'nope' }] } },
  { engines: { tts: [{}] } },
  { engines: { tts: [{ id: '\u0000', type: 'espeak' }] } },
  { engines: { tts: [{ id: 'espeak', type: 'espeak', options: { workers: 1e9 } }] } },
  { engines: { tts: [{ id: 'espeak', type: 'espeak', fallback: ['espeak'] }] } },
  { engines: { stt: [{ id: 'espeak', type: 'pocketsphinx' }] } },
  { engines: { stt: [{ id: 'pocketsphinx', type: 'pocketsphinx', options: { max_concurrent: -1 } }] } },
  { engines: objectWith('__proto__', { tts: [] }) },
  { routers: { core: { tts: { fallback: {} } } } },
  { routers: { core: { tts: { fallback: ['nope', null] } } } },
  { openai: { voice_map: { alloy: { a: [1] } } } },
  { openai: { voice_map: { alloy: null, echo: 'nope' } } },
  { rate_limits: { default_plan: 'toString' } },
  { rate_limits: { default_plan: '__proto__' } },
  { rate_limits: { plans: objectWith('__proto__', { requests_per_minute: 1 }) } },
  { rate_limits: { plans: { constructor: { requests_per_minute: 1 } } } },
  { constructor: { prototype: { polluted: 1 } } },
  objectWith('__proto__', { polluted: 1 }),
  { auth: { dev_user_plan: 'hasOwnProperty' } },
  { gen: { default_voice: 'en-us\u0000', chunk_size: 0 } },
  { middleware: { logging: { log_level: 'nope' } } },
];

/**
 * A merge patch for a config route: mostly garbage (wrong types at real keys, unknown and
 * prototype keys, known-bad engine lists), sometimes a valid change, so both the refusal
 * and the apply path run. `document` is the live config (or the section the route patches).
 */
export function garbageConfigPatch(
  random: FuzzRandom,
  document: Record<string, unknown>,
  wholeConfig: boolean,
): { kind: string; patch: FuzzJson } {
  const { leaves, containers } = pathsOf(document);
  const leaf = random.pick(leaves.length > 0 ? leaves : [[]]);
  const container = random.pick(containers);
  const kind = random.weighted({
    'wrong-type': 25,
    'odd-value': 15,
    'wrong-type-section': 10,
    'unknown-key': 8,
    'prototype-key': 8,
    known: wholeConfig ? 25 : 0,
    remove: 6,
    deep: 4,
    huge: 3,
    'valid-toggle': 6,
  });
  const typeOf = (value: unknown) => (Array.isArray(value) ? 'array' : typeof value);
  switch (kind) {
    case 'wrong-type':
      return {
        kind,
        patch: mergePatchAt(document, leaf, wrongTypeValue(random, typeOf(valueAt(document, leaf)))),
      };
    case 'odd-value':
      return {
        kind,
        patch: mergePatchAt(document, leaf, oddValueOfType(random, typeOf(valueAt(document, leaf)))),
      };
    case 'wrong-type-section':
      return {
        kind,
        patch: mergePatchAt(document, container, random.pick<FuzzJson>(['x', 1, [], [null], true])),
      };
    case 'unknown-key':
      return {
        kind,
        patch: mergePatchAt(
          document,
          [...container, random.pick(['nope', 'x'.repeat(300), ...ODD_STRINGS])],
          1,
        ),
      };
    case 'prototype-key':
      return {
        kind,
        patch: mergePatchAt(
          document,
          [...container, random.pick(['__proto__', 'constructor', 'prototype'])],
          {
            polluted: 1,
            prototype: { polluted: 1 },
          },
        ),
      };
    case 'known':
      return { kind, patch: random.pick(ENGINE_GARBAGE) };
    case 'remove':
      return { kind, patch: mergePatchAt(document, random.chance(0.5) ? leaf : container, null) };
    case 'deep':
      return {
        kind,
        patch: mergePatchAt(document, leaf, deepNesting(random, random.pick([1000, 5000, 20_000]))),
      };
    case 'huge':
      return { kind, patch: mergePatchAt(document, leaf, hugeString(random, random.int(10_000, 100_000))) };
    case 'valid-toggle': {
      const booleans = leaves.filter((path) => typeof valueAt(document, path) === 'boolean');
      if (booleans.length === 0) return { kind, patch: {} };
      const path = random.pick(booleans);
      return { kind, patch: mergePatchAt(document, path, !valueAt(document, path)) };
    }
  }
}
