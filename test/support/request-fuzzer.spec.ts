import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeBytes, leaksIn } from './fuzz-findings.js';
import { encodeRequest, parseAnswer } from './fuzz-http.js';
import { FuzzRandom } from './fuzz-random.js';
import { jsonText, objectWith, RawJson } from './fuzz-values.js';
import { type FuzzContext, RequestFuzzer } from './request-fuzzer.js';

const CONTEXT: FuzzContext = {
  routes: [
    { method: 'GET', path: '/health/live', query: [], body: null },
    {
      method: 'POST',
      path: '/tts',
      query: [],
      body: [
        { name: 'text', type: 'string', required: true },
        { name: 'speed', type: 'number' },
      ],
    },
    { method: 'GET', path: '/admin/users/:id', query: [{ name: 'limit', type: 'number' }], body: null },
    { method: 'POST', path: '/stt', query: [], body: null, uploadFields: ['file', 'language'] },
    {
      method: 'PATCH',
      path: '/config',
      query: [],
      body: null,
      configDocument: { auth: { enforce: true }, engines: { tts: [{ id: 'espeak', type: 'espeak' }] } },
      wholeConfig: true,
    },
  ],
  pathValues: { id: ['7'] },
  knownKeyIds: ['000000000001'],
  maxFileBytes: 4096,
  maxJsonBytes: 8192,
};

describe('RequestFuzzer', () => {
  it('generates the same request for the same seed and index', () => {
    const a = new RequestFuzzer(42, CONTEXT);
    const b = new RequestFuzzer(42, CONTEXT);
    for (const index of [0, 1, 17, 999]) assert.deepEqual(a.generate(index), b.generate(index));
    // Out of order too: request i does not depend on the requests before it.
    assert.deepEqual(a.generate(5), new RequestFuzzer(42, CONTEXT).generate(5));
  });

  it('generates different requests for other indexes and seeds', () => {
    const fuzzer = new RequestFuzzer(42, CONTEXT);
    const targets = new Set(
      Array.from({ length: 50 }, (_, i) => encodeRequest(fuzzer.generate(i), []).toString('latin1')),
    );
    assert.ok(targets.size > 40, `only ${targets.size} distinct requests in 50`);
    const other = new RequestFuzzer(43, CONTEXT);
    const differing = Array.from({ length: 20 }, (_, i) => i).filter(
      (i) => !encodeRequest(fuzzer.generate(i), []).equals(encodeRequest(other.generate(i), [])),
    );
    assert.ok(differing.length > 15);
  });

  it('covers every key kind, config patches, multipart cases and odd framing', () => {
    const fuzzer = new RequestFuzzer(7, CONTEXT);
    const requests = Array.from({ length: 2000 }, (_, i) => fuzzer.generate(i));
    const keys = new Set(requests.map((r) => r.key));
    assert.deepEqual([...keys].sort(), ['admin', 'malformed', 'none', 'stt', 'tts', 'user']);
    const kinds = new Set(requests.map((r) => r.kind));
    for (const kind of [
      'config:known',
      'multipart:nameless-part',
      'json:deep',
      'json:malformed',
      'upload:raw-audio',
    ]) {
      assert.ok(kinds.has(kind), `no ${kind} in 2000 requests`);
    }
    assert.ok(requests.some((r) => r.framing === 'long-length'));
    assert.ok(requests.some((r) => r.route === '(unknown path)'));
    assert.ok(requests.some((r) => r.changesConfig));
  });
});

describe('FuzzRandom', () => {
  it("is mulberry32: the reference implementation's sequence for seed 1", () => {
    const random = new FuzzRandom(1);
    const first = [random.next(), random.next(), random.next()].map((x) => x.toFixed(8));
    assert.deepEqual(first, ['0.62707394', '0.00273572', '0.52744704']);
  });
});

describe('fuzz values and wire format', () => {
  it('writes tokens JSON has no syntax for, and __proto__ as an own key', () => {
    assert.equal(jsonText({ a: new RawJson('NaN'), b: [new RawJson('1e309')] }), '{"a":NaN,"b":[1e309]}');
    assert.equal(jsonText(objectWith('__proto__', { x: 1 })), '{"__proto__":{"x":1}}');
  });

  it('frames the body as asked', () => {
    const request = new RequestFuzzer(1, CONTEXT).generate(0);
    const withBody = {
      ...request,
      method: 'POST',
      target: '/tts',
      body: Buffer.from('{"a":1}'),
      headers: [],
    };
    assert.match(
      encodeRequest({ ...withBody, framing: 'length' }, []).toString(),
      /Content-Length: 7\r\n\r\n\{"a":1\}$/,
    );
    assert.match(
      encodeRequest({ ...withBody, framing: 'chunked' }, []).toString(),
      /3\r\n\{"a\r\n4\r\n":1\}\r\n0\r\n\r\n$/,
    );
  });

  it('reads chunked answers and skips 100 Continue', () => {
    const raw = Buffer.from(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n',
    );
    const answer = parseAnswer(raw, 'POST', false);
    assert.equal(answer?.status, 400);
    assert.equal(answer?.body.toString(), 'ab');
  });

  it('finds stack frames, source paths and secrets, and not ordinary messages', () => {
    assert.deepEqual(leaksIn('{"message":"The request body is not valid JSON."}', ['sgk_secret']), []);
    assert.ok(leaksIn('TypeError: x\n    at f (/app/dist/src/a.js:1:2)', []).includes('stack frame'));
    assert.ok(leaksIn('in /work/src/stt/x.ts', []).includes('source path'));
    assert.deepEqual(leaksIn('key sgk_secret', ['sgk_secret']), ['secret sgk_secr…(10 chars)']);
  });

  it('shows long runs compactly', () => {
    assert.equal(describeBytes(Buffer.from(`${'['.repeat(1000)}${']'.repeat(1000)}`)), '⟨[×1000⟩⟨]×1000⟩');
  });
});
