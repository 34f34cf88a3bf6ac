import type { FuzzRandom } from './fuzz-random.js';

/*
 * The hostile values the request fuzzer draws from. None of them contains text the
 * response checks look for (stack frames, `Error:`, source paths, `sgk_` keys), so
 * a finding is never just the server echoing the fuzzer's own input.
 */

/** JSON text written as is: tokens JSON has no syntax for (NaN), or nesting too deep to build as objects. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type FuzzJson = null | boolean | number | string | RawJson | FuzzJson[] | { [key: string]: FuzzJson };

/** JSON text of a value that may hold RawJson parts. */
export function jsonText(value: FuzzJson): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawJson) {
      raws.push(item.text);
      return `@@raw${raws.length - 1}@@`;
    }
    return item;
  });
  return text.replace(/"@@raw(\d+)@@"/g, (_match, n: string) => raws[Number(n)]);
}

/** An object with one key set as an own, enumerable property, even `__proto__`. */
export function objectWith(key: string, value: FuzzJson, base: Record<string, FuzzJson> = {}) {
  const out: Record<string, FuzzJson> = { ...base };
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'en-us\u0000',
  '\ud800',
  'x\udfffy',
  '\udbff\udfff',
  '\u202eevil\u202c',
  '\u200f\u200e\u061c',
  '\u200b\u200d\ufeff',
  '😀👩‍👩‍👧‍👦🏳️‍🌈',
  'e\u0301\u0301\u0301\u0301\u0301\u0301',
  'Z\u0335\u0321\u031b\u0316\u0317\u0317\u0359\u031c\u0318a\u0352\u0351',
  '\u2028\u2029',
  '\r\n\r\n',
  '\t\v\f\b',
  '\u001b[31mred\u001b[0m',
  '\u007f\u0085\u009f',
  '\ufffd\uffff\ufffe',
  '𝕳𝖊𝖑𝖑𝖔',
  'ﷺ'.repeat(50),
  '%00',
  '%s%n%x',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '${process.env}',
  '{{constructor.constructor}}',
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  '<script>alert(1)</script>',
  '<speak>a<break time="20s"/>b</speak>',
  '\\',
  '"',
  'toString',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  'null',
  'undefined',
  'true',
  ' en-us ',
  'EN-US',
  'x'.repeat(257),
  'é'.repeat(2000),
];

export const ODD_NUMBERS: readonly FuzzJson[] = [
  new RawJson('NaN'),
  new RawJson('Infinity'),
  new RawJson('-Infinity'),
  new RawJson('1e309'),
  new RawJson('-1e309'),
  new RawJson('9007199254740993'),
  new RawJson('99999999999999999999'),
  new RawJson('18446744073709551616'),
  new RawJson('0x10'),
  new RawJson('01'),
  new RawJson('1.'),
  new RawJson('-'),
  -1,
  -0,
  0,
  0.5,
  1e-320,
  -1e308,
  1e308,
  2147483648,
  -2147483649,
  Number.MAX_SAFE_INTEGER,
];

/** Something of the wrong type for a field of `type` (or of any type). */
export function wrongTypeValue(random: FuzzRandom, type: string | undefined): FuzzJson {
  const candidates: FuzzJson[] = [
    null,
    true,
    false,
    [],
    [null],
    ['a', 1, null],
    {},
    { a: 1 },
    objectWith('__proto__', { polluted: 1 }),
    [[[[['deep']]]]],
  ];
  if (type !== 'string') candidates.push('', 'x', random.pick(ODD_STRINGS));
  if (type !== 'number' && type !== 'integer') candidates.push(0, -1, 1e308, random.pick(ODD_NUMBERS));
  return random.pick(candidates);
}

/** A hostile value of the field's own type (odd strings, out-of-range numbers). */
export function oddValueOfType(random: FuzzRandom, type: string | undefined): FuzzJson {
  switch (type) {
    case 'number':
    case 'integer':
      return random.pick(ODD_NUMBERS);
    case 'boolean':
      return random.pick<FuzzJson>(['true', 1, 0, 'yes', null]);
    case 'array':
      return random.pick<FuzzJson>([
        Array.from({ length: random.int(100, 2000) }, () => 'a'),
        [random.pick(ODD_STRINGS)],
        Array.from({ length: 50 }, () => random.pick(ODD_STRINGS)),
      ]);
    case 'string':
    case undefined:
    default:
      return random.chance(0.15) ? hugeString(random, random.int(5_000, 60_000)) : random.pick(ODD_STRINGS);
  }
}

export function hugeString(random: FuzzRandom, length: number): string {
  const unit = random.pick(['a', 'é', '😀', '\u0000', 'ab ', '\u202e', 'e\u0301', '.']);
  return unit.repeat(Math.max(1, Math.ceil(length / unit.length))).slice(0, length);
}

/** `depth` nested arrays or objects, with an optional innermost value. */
export function deepNesting(random: FuzzRandom, depth: number): RawJson {
  if (random.chance(0.5)) return new RawJson(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  return new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
}

/** Bodies that are not JSON although they claim to be. */
export function malformedJsonText(random: FuzzRandom): Buffer {
  const texts = [
    '',
    ' ',
    '{',
    '}',
    '{"text":',
    '{"text":"hi"',
    '{"text":"hi",}',
    "{'text':'hi'}",
    '{text:"hi"}',
    '{"text":"hi"}{"text":"again"}',
    '{"text":"hi" /* comment */}',
    '{"text":"\\u00"}',
    '{"text":"\\ud800"}',
    '{"text":"a\\',
    '{"a":NaN}',
    '{"a":undefined}',
    '[1,2,]',
    'null',
    'true',
    '0',
    '"just a string"',
    '[]',
    '\ufeff{"text":"hi"}',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"text":"hi","text":"dup"}',
    `{"a":"${'\\u0000'.repeat(100)}"}`,
    `[${'1,'.repeat(20_000)}1]`,
  ];
  const pick = random.int(0, texts.length + 2);
  if (pick === texts.length) return Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x22, 0x00]); // UTF-16 BOM
  if (pick === texts.length + 1)
    return Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc0, 0x80, 0xff]), Buffer.from('"}')]);
  if (pick === texts.length + 2) return random.bytes(random.int(1, 512));
  return Buffer.from(texts[pick], 'utf8');
}

/** Path segments, already as they go on the wire (percent-encoded where needed). */
export const ODD_PATH_PARAMS: readonly string[] = [
  '%00',
  'a%00b',
  '..%2f..%2fetc%2fpasswd',
  '..%2F..%2F..%2Fconfig',
  '%2e%2e',
  '..',
  '.',
  '%2f',
  '%5c..%5c',
  '99999999999999999999',
  '18446744073709551616',
  '9007199254740993',
  '2147483648',
  '-1',
  '0',
  '1.5',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  '%20',
  '%20%2099999',
  '%ff',
  '%',
  '%zz',
  '%C3%A9%F0%9F%99%82',
  '%E2%80%AE',
  '%ED%A0%80',
  '%0d%0aX-Injected:%201',
  '__proto__',
  'constructor',
  'toString',
  'a'.repeat(2000),
  ';',
  '*',
  '~',
  'en-us%00',
  'espeak%00',
];

export const ODD_QUERY_VALUES: readonly string[] = [
  '',
  '-1',
  'NaN',
  'Infinity',
  '1e309',
  '18446744073709551616',
  '99999999999999999999',
  '1.5',
  '%00',
  '%ff',
  '%',
  '%E2%80%AE',
  'a'.repeat(5000),
  '2024-13-45T99:99:99Z',
  '0000-00-00',
  '+275760-09-13T00:00:00.001Z',
  '__proto__',
];

/** Whole query strings that no route expects. */
export function oddQueryString(random: FuzzRandom): string {
  return random.pick([
    '?',
    '??',
    '?&&&=&=',
    '?a',
    '?a[]=1&a[]=2',
    '?a[b][c]=1',
    '?__proto__[polluted]=1',
    '?constructor[prototype][polluted]=1',
    '?%00=%00',
    '?%ff=%ff',
    `?${'a=1&'.repeat(3000)}`,
    `?x=${'%41'.repeat(5000)}`,
    '?#frag',
    '?limit=1&limit=2',
  ]);
}

export const ODD_CONTENT_TYPES: readonly string[] = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nope',
  'application/json, text/html',
  'application/*',
  'application/vnd.api+json',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary="unterminated',
  'audio/wav',
  'application/octet-stream',
  ';;;',
  '',
  '\u00e9/\u00e9',
];

/** Headers a careless client or a probing one might send (values are latin1 on the wire). */
export function oddHeader(random: FuzzRandom): [string, string] {
  return random.pick<[string, string]>([
    ['Accept', 'text/event-stream'],
    ['Accept', 'application/xml;q=0.9, */*;q=0'],
    ['Accept', 'x'.repeat(4000)],
    ['Accept-Encoding', 'gzip, br, zstd, compress'],
    ['Accept-Language', '\u00ff\u00fe'],
    ['Content-Encoding', 'gzip'],
    ['Content-Encoding', 'br'],
    ['Content-Encoding', 'x-unknown'],
    ['X-Request-ID', 'a'.repeat(500)],
    ['X-Request-ID', '\u00e9\u00e8'],
    ['X-Forwarded-For', '1.2.3.4, ::1, not-an-ip'],
    ['X-Api-Key', 'not-a-key'],
    ['Range', 'bytes=0-0,1-1,2-2'],
    ['If-None-Match', '*'],
    ['Origin', 'null'],
    ['Cookie', 'a=b; '.repeat(200)],
    ['User-Agent', '\u0085\u00a0'],
    ['X-Http-Method-Override', 'DELETE'],
  ]);
}

/** Authorization header values that are not a usable key. */
export function malformedAuthorization(random: FuzzRandom, knownKeyIds: readonly string[]): string {
  const keyId = knownKeyIds.length > 0 ? random.pick(knownKeyIds) : '000000000000';
  return random.pick([
    'Bearer',
    'Bearer ',
    'Bearer  ',
    'Basic dXNlcjpwYXNz',
    'bearer garbage',
    'Bearer garbage extra',
    'Bearer sgk_',
    'Bearer sgk_short',
    // A known key id with a wrong secret and a wrong checksum.
    `Bearer sgk_${keyId}_${'A'.repeat(86)}AAAAAA`,
    `Bearer ${'x'.repeat(8000)}`,
    'Bearer \u00e9\u00e8',
    'Bearer null',
    'Bearer undefined',
    'Token abc',
  ]);
}

/** A WAV header claiming `declaredBytes` of 16-bit PCM, followed by `data`. */
export function wavFile(
  data: Buffer,
  options: { sampleRate?: number; channels?: number; declaredBytes?: number } = {},
): Buffer {
  const sampleRate = options.sampleRate ?? 16_000;
  const channels = options.channels ?? 1;
  const declared = options.declaredBytes ?? data.length;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE((36 + declared) >>> 0, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels & 0xffff, 22);
  header.writeUInt32LE(sampleRate >>> 0, 24);
  header.writeUInt32LE((sampleRate * channels * 2) >>> 0, 28);
  header.writeUInt16LE((channels * 2) & 0xffff, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(declared >>> 0, 40);
  return Buffer.concat([header, data]);
}

/** Audio files that are not what they claim, or barely audio. */
export function garbageAudio(random: FuzzRandom): Buffer {
  switch (random.int(0, 9)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return random.bytes(random.int(1, 4096));
    case 2:
      return wavFile(Buffer.alloc(0));
    case 3:
      return wavFile(random.bytes(3200)); // 0.1 s of noise: a real (tiny) decode
    case 4:
      return wavFile(random.bytes(64), { declaredBytes: 0xffffffff });
    case 5:
      return wavFile(random.bytes(64), { sampleRate: 0, channels: 0 });
    case 6:
      return wavFile(random.bytes(64), { sampleRate: 0xffffffff, channels: 65535 });
    case 7:
      return Buffer.concat([
        Buffer.from('ID3\u0004\u0000\u0000\u007f\u007f\u007f\u007f', 'latin1'),
        random.bytes(256),
      ]);
    case 8:
      return Buffer.concat([Buffer.from('fLaC'), random.bytes(256)]);
    default:
      return Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A '), random.bytes(256)]);
  }
}
