import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { documentShapeErrors } from './config-document-shape.js';
import { buildConfig, configToDocument, parseConfig } from './config.loader.js';
import { AppConfig } from './config.schema.js';
import { applyMergePatchToYaml, mergePatch } from './yaml-merge-patch.js';
import { seededRandom } from '../common/testing/seeded-random.js';

/*
 * Random JSON values at random known paths of config.yaml: the readers must answer with
 * errors (or a valid config), never throw. The seed is printed; SEED=<n> replays a run, SEED=random explores.
 */

/** A fixed seed keeps the suite repeatable; `SEED=random` explores a new one (printed for replay). */
const SEED_SETTING = process.env['SEED'] ?? '20261203';
const SEED = SEED_SETTING === 'random' ? Date.now() % 1_000_000 : Number(SEED_SETTING);
const ROUNDS = 400;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const STRINGS = [
  '',
  'x',
  'free',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '0',
  'NaN',
  'espeak',
  'openai',
  'nope',
  ' ',
  '\u0000',
  'a'.repeat(300),
  'en-us',
  'wav',
  'redis',
  'postgres://a',
];
const NUMBERS = [0, -1, 1, 2.5, 1e9, -1e9, 65536, 1e308, Number.MAX_SAFE_INTEGER, 0.0001];
const KEYS = [
  'a',
  'id',
  'type',
  'enabled',
  'options',
  'fallback',
  'free',
  'pro',
  'toString',
  'tts',
  '0',
  '',
  'constructor',
];

function randomJson(random: () => number, depth = 0): Json {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const kind = Math.floor(random() * (depth > 3 ? 4 : 7));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(NUMBERS);
    case 3:
      return pick(STRINGS);
    case 4:
      return Array.from({ length: Math.floor(random() * 3) }, () => randomJson(random, depth + 1));
    case 5:
      return [[null], [[null, null]]];
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 3) }, () => [pick(KEYS), randomJson(random, depth + 1)]),
      );
  }
}

/** A valid document with a few engines, so paths inside engine entries exist. */
function baseDocument(): Record<string, unknown> {
  return mergePatch(configToDocument(new AppConfig()), {
    engines: {
      tts: [
        { id: 'espeak', type: 'espeak', options: { backend: 'wasm' }, fallback: ['cloud'] },
        { id: 'cloud', type: 'openai', resilience: { retry: { max_attempts: 2 } } },
      ],
      stt: [{ id: 'sphinx', type: 'pocketsphinx' }],
      chat: [{ id: 'llm', type: 'openai' }],
    },
    routers: { core: { tts: { fallback: ['espeak'] } } },
  }) as Record<string, unknown>;
}

/** Every path (objects and array items) of a document. */
function pathsOf(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      out.push([...path, key]);
      pathsOf(child, [...path, key], out);
    }
  }
  return out;
}

function setAt(document: Record<string, unknown>, path: string[], value: Json): void {
  let node: Record<string, unknown> = document;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null) return;
    node = next as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  // JSON and YAML lists have no named properties.
  if (Array.isArray(node) && !/^\d+$/.test(last)) return;
  node[last] = value;
}

describe(`config readers under random values (SEED=${SEED})`, () => {
  const known = pathsOf(baseDocument());

  it('answers errors or a config for any JSON value at any known path, and never throws', () => {
    const random = seededRandom(SEED);
    for (let round = 0; round < ROUNDS; round++) {
      const document = baseDocument();
      const changes = 1 + Math.floor(random() * 3);
      const applied: Array<[string, Json]> = [];
      for (let i = 0; i < changes; i++) {
        const path = [...known[Math.floor(random() * known.length)]];
        if (random() < 0.2) path.push(KEYS[Math.floor(random() * KEYS.length)]);
        const value = randomJson(random);
        setAt(document, path, value);
        applied.push([path.join('.'), value]);
      }
      const env = random() < 0.2 ? { RATE_LIMIT_REQUESTS_PER_MINUTE: '7', PORT: 'x' } : {};
      const replay = `SEED=${SEED} round ${round}: ${JSON.stringify(applied)}`;
      let result: ReturnType<typeof buildConfig>;
      try {
        result = buildConfig(document, env);
      } catch (error) {
        assert.fail(`${replay} threw ${(error as Error).stack}`);
      }
      if (!result.ok) {
        assert.ok(result.errors.length > 0, replay);
        for (const line of result.errors) assert.equal(typeof line, 'string', replay);
      }
      assert.equal(({} as Record<string, unknown>)['requests_per_minute'], undefined, replay);
    }
  });

  it('merges any patch into config.yaml text without throwing, with the meaning of RFC 7386', () => {
    const random = seededRandom(SEED + 1);
    const text = stringify(baseDocument());
    for (let round = 0; round < ROUNDS / 8; round++) {
      const path = [...known[Math.floor(random() * known.length)]].filter((s) => !/^\d+$/.test(s));
      let patch: Json = randomJson(random);
      for (const segment of path.reverse()) patch = { [segment]: patch };
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) continue;
      const replay = `SEED=${SEED} round ${round}: ${JSON.stringify(patch)}`;
      const result = applyMergePatchToYaml(text, patch);
      if (documentShapeErrors(patch).length > 0) {
        assert.equal(result.ok, false, replay);
        continue;
      }
      assert.ok(result.ok, replay);
      assert.deepEqual(parse(result.text) ?? {}, mergePatch(parse(text), patch), replay);
      assert.doesNotThrow(() => parseConfig(result.text, {}), replay);
    }
  });
});
