import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { applyMergePatchToYaml, mergePatch } from './yaml-merge-patch.js';

function patched(text: string, patch: Record<string, unknown>): string {
  const result = applyMergePatchToYaml(text, patch);
  assert.ok(result.ok, result.ok ? '' : result.errors.join('\n'));
  assert.deepEqual(parse(result.text) ?? {}, mergePatch(parse(text) ?? {}, patch), 'the merge is right');
  return result.text;
}

/** The lines of `after` that are not in `before`, and the reverse. */
function changedLines(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}

const OPERATOR_FILE = [
  '# speech-gateway — edited by hand',
  '',
  'server:',
  '    port: 8004      # behind the proxy',
  '    host: "0.0.0.0"',
  '    cors_origins: [\'https://a.example\',  "https://b.example"]',
  '    # more servers later',
  '',
  'middleware:',
  '  timing:',
  '    enabled: yes-please-no   # a string on purpose',
  '    slow_request_threshold: 5.0',
  '  logging: {log_level: info, format: json}',
  '',
  'rate_limits:',
  '  default_plan: free',
  '  plans:',
  '    free: { requests_per_minute: 10,   quota_seconds: 600 }',
  '    pro:',
  '      requests_per_minute: 0x3C',
  'engines:',
  '  tts:',
  '  - id: espeak',
  '    type: espeak',
  '    options: {backend: wasm}',
  'gen:',
  '  default_voice: >-',
  '    en-us',
  'openai:',
  '  models: [tts-1,whisper-1]',
  '',
  '# the end',
  '',
].join('\n');

describe('applyMergePatchToYaml', () => {
  it('changes the line of the patched key only; every other line stays byte for byte', () => {
    const next = patched(OPERATOR_FILE, { middleware: { timing: { slow_request_threshold: 2.5 } } });
    assert.deepEqual(changedLines(OPERATOR_FILE, next), {
      removed: ['    slow_request_threshold: 5.0'],
      added: ['    slow_request_threshold: 2.5'],
    });
  });

  it('keeps an inline comment and the quoting style of a replaced string', () => {
    const next = patched(OPERATOR_FILE, { server: { port: 9000, host: '127.0.0.1' } });
    assert.deepEqual(changedLines(OPERATOR_FILE, next), {
      removed: ['    port: 8004      # behind the proxy', '    host: "0.0.0.0"'],
      added: ['    port: 9000      # behind the proxy', '    host: "127.0.0.1"'],
    });
  });

  it('adds a key after its siblings at their indentation', () => {
    const next = patched(OPERATOR_FILE, { server: { max_json_body_kb: 64 } });
    assert.deepEqual(changedLines(OPERATOR_FILE, next), { removed: [], added: ['    max_json_body_kb: 64'] });
  });

  it('adds a missing section as a block at the end of the file’s mapping', () => {
    const next = patched(OPERATOR_FILE, { routers: { core: { stt: { supported_formats: ['wav'] } } } });
    const { removed, added } = changedLines(OPERATOR_FILE, next);
    assert.deepEqual(removed, []);
    assert.deepEqual(added, ['routers:', '  core:', '    stt:', '      supported_formats:', '        - wav']);
  });

  it('deletes a key set to null with its line, and leaves {} where a map is emptied', () => {
    const deleted = patched(OPERATOR_FILE, { server: { host: null } });
    assert.deepEqual(changedLines(OPERATOR_FILE, deleted), { removed: ['    host: "0.0.0.0"'], added: [] });
    const emptied = patched(OPERATOR_FILE, {
      rate_limits: { plans: { pro: { requests_per_minute: null } } },
    });
    assert.deepEqual(changedLines(OPERATOR_FILE, emptied), {
      removed: ['    pro:', '      requests_per_minute: 0x3C'],
      added: ['    pro: {}'],
    });
  });

  it('rewrites a flow collection it patches as one line and leaves the others alone', () => {
    const next = patched(OPERATOR_FILE, { middleware: { logging: { log_level: 'debug' } } });
    assert.deepEqual(changedLines(OPERATOR_FILE, next), {
      removed: ['  logging: {log_level: info, format: json}'],
      added: ['  logging: {log_level: debug, format: json}'],
    });
  });

  it('replaces a list whole, in block style where it was a block', () => {
    const next = patched(OPERATOR_FILE, { engines: { tts: [{ id: 'espeak', type: 'espeak' }] } });
    assert.deepEqual(changedLines(OPERATOR_FILE, next), {
      removed: ['  - id: espeak', '    type: espeak', '    options: {backend: wasm}'],
      added: ['    - id: espeak', '      type: espeak'],
    });
  });

  it('replaces a block scalar and a value by one of another kind', () => {
    const next = patched(OPERATOR_FILE, { gen: { default_voice: 'en-gb' }, openai: { models: 'x' } });
    assert.deepEqual(changedLines(OPERATOR_FILE, next), {
      removed: ['  default_voice: >-', '    en-us', 'openai:', '  models: [tts-1,whisper-1]'],
      added: ['  default_voice: en-gb', 'openai:', '  models: x'],
    });
    const toMap = patched('a: 1 # one\nb: 2\n', { a: { c: [1, 2] } });
    assert.equal(toMap, 'a:\n  c:\n    - 1\n    - 2\nb: 2\n');
  });

  it('writes into an empty or comment-only file', () => {
    assert.equal(patched('', { gen: { chunk_size: 300 } }), 'gen:\n  chunk_size: 300\n');
    assert.equal(patched('# nothing yet', { a: 1 }), '# nothing yet\na: 1\n');
  });

  it('quotes what YAML would read as another type', () => {
    const next = patched('a: x\n', { a: 'true', b: '0x10', c: 'line1\nline2', d: '' });
    assert.deepEqual(parse(next), { a: 'true', b: '0x10', c: 'line1\nline2', d: '' });
  });

  it('falls back to re-printing for a root written as a flow map, keeping the meaning', () => {
    assert.deepEqual(parse(patched('{a: 1, b: 2}', { a: 3 })), { a: 3, b: 2 });
  });

  it('refuses reserved keys and a file that is not a mapping', () => {
    const reserved = applyMergePatchToYaml('a: 1\n', JSON.parse('{"a":{"__proto__":{"polluted":1}}}'));
    assert.deepEqual(reserved, {
      ok: false,
      errors: ["a.__proto__ is not allowed: '__proto__' is a reserved name"],
    });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(applyMergePatchToYaml('- a\n', { a: 1 }).ok, false);
    assert.equal(applyMergePatchToYaml('a: [1\n', { a: 1 }).ok, false);
  });
});
