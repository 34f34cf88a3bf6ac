import { garbageConfigPatch } from './fuzz-config-patch.js';
import { fuzzMultipart } from './fuzz-multipart.js';
import { FuzzRandom } from './fuzz-random.js';
import {
  deepNesting,
  type FuzzJson,
  garbageAudio,
  hugeString,
  jsonText,
  malformedAuthorization,
  malformedJsonText,
  objectWith,
  ODD_CONTENT_TYPES,
  ODD_PATH_PARAMS,
  ODD_QUERY_VALUES,
  ODD_STRINGS,
  oddHeader,
  oddQueryString,
  oddValueOfType,
  wrongTypeValue,
} from './fuzz-values.js';

/** Whose credentials a request carries. */
export type KeyKind = 'admin' | 'user' | 'tts' | 'stt' | 'none' | 'malformed';

export interface FieldSpec {
  name: string;
  type?: string;
  enum?: readonly unknown[];
  example?: unknown;
  required?: boolean;
}

/** One method + path the app serves, with what the OpenAPI document says about its inputs. */
export interface FuzzRoute {
  method: string;
  /** Express pattern, e.g. /admin/users/:id */
  path: string;
  query: FieldSpec[];
  /** JSON body fields, when the route documents a JSON body. */
  body: FieldSpec[] | null;
  /** An upload route: its multipart text fields (the audio is the `file` part or a raw body). */
  uploadFields?: readonly string[];
  /** A config route: the body is a merge patch of this document (the live config or one section). */
  configDocument?: Record<string, unknown>;
  /** configDocument is the whole config (not one section). */
  wholeConfig?: boolean;
}

export interface FuzzContext {
  routes: readonly FuzzRoute[];
  /** Values naming things that exist, by path parameter (id → a user the fuzzer may damage). */
  pathValues: Readonly<Record<string, readonly string[]>>;
  /** Public key ids, for well-formed keys with a wrong secret. */
  knownKeyIds: readonly string[];
  maxFileBytes: number;
  maxJsonBytes: number;
}

/** How the body is framed on the wire. */
export type Framing =
  'length' | 'chunked' | 'none' | 'short-length' | 'long-length' | 'bad-length' | 'double-length';

export interface FuzzRequest {
  index: number;
  /** What edge case this is (e.g. 'json:wrong-type', 'multipart:nameless-part'). */
  kind: string;
  method: string;
  /** The route pattern aimed at, or '(unknown path)'. */
  route: string;
  /** Path and query as written on the request line. */
  target: string;
  key: KeyKind;
  /** The Authorization header of a 'malformed' key. */
  authorization?: string;
  headers: Array<[string, string]>;
  body?: Buffer;
  framing: Framing;
  /** Writes config.yaml when accepted: run alone, then the config is restored. */
  changesConfig: boolean;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'get'];

const UNKNOWN_PATHS = [
  '/',
  '/nope',
  '/tts/',
  '/TTS',
  '/tts/voices/extra',
  '/admin',
  '/admin/users/1/keys/x/rotate/extra',
  '/%00',
  '/..%2f..%2fetc%2fpasswd',
  '/v1',
  '/v1/audio',
  '//tts',
  '/tts;x=1',
  '/docs/../config',
  '/files',
  '/files/..%2f..%2f',
  '/%E2%80%AE',
  '/health/live/%00',
  `/${'a'.repeat(5000)}`,
];

/** Values by field name that pass validation, so some requests reach the services. */
const PLAUSIBLE: Record<string, FuzzJson> = {
  text: 'hello',
  input: 'hello',
  voice: 'en-us',
  email: 'fuzz@example.com',
  name: 'fuzz',
  friendly_name: 'fuzz-voice',
  engine: 'espeak',
  engine_voice_id: 'en',
  language: 'en-us',
  plan: 'free',
  scopes: ['tts'],
  expires_at: '2099-01-01T00:00:00Z',
  grace_hours: 1,
  quota_seconds: 100,
  used_seconds: 0,
};

/** Percent-encoding of the UTF-8 bytes (a lone surrogate becomes U+FFFD instead of throwing). */
function percentEncoded(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

/** A valid-looking value with a NUL, a lone surrogate, a direction mark, … inside or around it. */
function twisted(random: FuzzRandom, value: string): string {
  const twist = random.chance(0.4)
    ? '\u0000'
    : random.pick(['\ud800', '\udc00', '\u202e', '\u200b', '\u0301', '😀', ' ', '%00', '\n', '\u0000\u0000']);
  const at = random.int(0, value.length);
  return random.chance(0.5) ? `${value}${twist}` : `${value.slice(0, at)}${twist}${value.slice(at)}`;
}

function plausibleValue(field: FieldSpec): FuzzJson {
  if (field.name in PLAUSIBLE) return PLAUSIBLE[field.name];
  if (field.enum && field.enum.length > 0) return field.enum[0] as FuzzJson;
  if (field.example !== undefined) return field.example as FuzzJson;
  if (field.type === 'number' || field.type === 'integer') return 1;
  if (field.type === 'boolean') return false;
  if (field.type === 'array') return [];
  return 'x';
}

/**
 * Generates hostile requests for the routes of a running gateway. Request `i` of seed `s`
 * is always the same (given the same context), so a failure is replayed from its seed and index.
 */
export class RequestFuzzer {
  /** Config and upload routes come up more often: they take the richest inputs. */
  private readonly draw: readonly FuzzRoute[];

  constructor(
    readonly seed: number,
    private readonly context: FuzzContext,
  ) {
    this.draw = context.routes.flatMap((route) =>
      Array<FuzzRoute>(route.uploadFields && !route.configDocument ? 2 : 1).fill(route),
    );
  }

  generate(index: number): FuzzRequest {
    const random = FuzzRandom.forIndex(this.seed, index);
    const route = random.pick(this.draw);
    const key = random.weighted<KeyKind>(
      route.configDocument
        ? { admin: 75, user: 5, tts: 5, stt: 0, none: 5, malformed: 10 }
        : { admin: 35, user: 12, tts: 12, stt: 12, none: 14, malformed: 15 },
    );
    const aim = random.weighted({ route: 90, unknown: 5, 'wrong-method': 5 });
    const headers: Array<[string, string]> = [];
    let method = route.method;
    let label = route.path;
    let path = this.fillPath(random, route.path);
    if (aim === 'unknown') {
      label = '(unknown path)';
      path = random.pick(UNKNOWN_PATHS);
      method = random.pick(METHODS);
    } else if (aim === 'wrong-method') {
      const served = new Set(this.context.routes.filter((r) => r.path === route.path).map((r) => r.method));
      method = random.pick(METHODS.filter((m) => !served.has(m)));
    }

    const { kind, body, contentType } = this.body(random, route, method, aim === 'route');
    if (contentType !== undefined) headers.push(['Content-Type', contentType]);
    if (random.chance(0.15)) headers.push(oddHeader(random));
    const framing: Framing =
      body === undefined || random.chance(0.93)
        ? body === undefined
          ? 'none'
          : 'length'
        : random.pick<Framing>(['chunked', 'short-length', 'long-length', 'bad-length', 'double-length']);

    return {
      index,
      kind,
      method,
      route: label,
      target: path + this.query(random, route),
      key,
      authorization:
        key === 'malformed' ? malformedAuthorization(random, this.context.knownKeyIds) : undefined,
      headers,
      body,
      framing,
      changesConfig: route.configDocument !== undefined && aim === 'route' && key === 'admin',
    };
  }

  private fillPath(random: FuzzRandom, pattern: string): string {
    return pattern.replace(/:(\w+)/g, (_match, name: string) => {
      const known = this.context.pathValues[name];
      if (known && known.length > 0 && random.chance(0.6)) {
        const value = random.pick(known);
        return percentEncoded(random.chance(0.2) ? twisted(random, value) : value);
      }
      return random.pick(ODD_PATH_PARAMS);
    });
  }

  private query(random: FuzzRandom, route: FuzzRoute): string {
    if (random.chance(0.08)) return oddQueryString(random);
    if (route.query.length === 0 || random.chance(0.4)) return '';
    const pairs = route.query
      .filter(() => random.chance(0.6))
      .map((field) => {
        const plausible = jsonText(plausibleValue(field)).replace(/^"|"$/g, '');
        const value = random.chance(0.3)
          ? percentEncoded(plausible)
          : random.chance(0.3)
            ? percentEncoded(twisted(random, plausible))
            : random.pick(ODD_QUERY_VALUES);
        return `${field.name}=${value}`;
      });
    return pairs.length > 0 ? `?${pairs.join('&')}` : '';
  }

  private body(
    random: FuzzRandom,
    route: FuzzRoute,
    method: string,
    onRoute: boolean,
  ): { kind: string; body?: Buffer; contentType?: string } {
    if (onRoute && route.configDocument && random.chance(0.85)) {
      const { kind, patch } = garbageConfigPatch(random, route.configDocument, route.wholeConfig ?? false);
      return { kind: `config:${kind}`, body: Buffer.from(jsonText(patch)), contentType: 'application/json' };
    }
    if (onRoute && route.uploadFields && random.chance(0.75)) {
      if (random.chance(0.8)) {
        const upload = fuzzMultipart(random, route.uploadFields, this.context.maxFileBytes);
        return { kind: `multipart:${upload.kind}`, body: upload.body, contentType: upload.contentType };
      }
      return {
        kind: 'upload:raw-audio',
        body: garbageAudio(random),
        contentType: random.pick(['audio/wav', 'application/octet-stream', 'audio/mpeg', 'video/mp4']),
      };
    }
    const sendsBody = ['POST', 'PUT', 'PATCH'].includes(method) ? random.chance(0.95) : random.chance(0.1);
    if (!sendsBody) return { kind: 'no-body' };
    if (random.chance(0.04)) {
      const upload = fuzzMultipart(random, ['file', 'text'], this.context.maxFileBytes);
      return { kind: `multipart:${upload.kind}`, body: upload.body, contentType: upload.contentType };
    }
    return this.jsonBody(random, route.body ?? []);
  }

  private jsonBody(
    random: FuzzRandom,
    fields: readonly FieldSpec[],
  ): { kind: string; body: Buffer; contentType?: string } {
    const plausible = (): Record<string, FuzzJson> => {
      const out: Record<string, FuzzJson> = {};
      for (const field of fields)
        if (field.required || random.chance(0.5)) out[field.name] = plausibleValue(field);
      return out;
    };
    const some = (): FieldSpec =>
      fields.length > 0 ? random.pick(fields) : { name: random.pick(['a', 'text', 'id']) };
    const json = (kind: string, value: FuzzJson, contentType = 'application/json') => ({
      kind: `json:${kind}`,
      body: Buffer.from(jsonText(value), 'utf8'),
      contentType,
    });
    const kind = random.weighted({
      plausible: 12,
      'wrong-type': 20,
      'odd-string': 16,
      'odd-number': 10,
      malformed: 12,
      deep: 7,
      huge: 5,
      'extra-keys': 6,
      'content-type': 8,
      'invalid-utf8': 4,
    });
    switch (kind) {
      case 'plausible':
        return json(kind, plausible());
      case 'wrong-type': {
        const body = plausible();
        for (let n = random.int(1, 3); n > 0; n--) {
          const field = some();
          Object.assign(body, objectWith(field.name, wrongTypeValue(random, field.type)));
        }
        return json(kind, body);
      }
      case 'odd-string': {
        const body = plausible();
        const strings = fields.filter((f) => f.type === 'string' && !f.enum);
        for (const field of strings.length > 0 ? strings.filter(() => random.chance(0.5)) : [some()]) {
          // Half the time a valid value with a twist, so it gets past validation to lookups and storage.
          body[field.name] = random.chance(0.5)
            ? twisted(random, jsonText(plausibleValue(field)).replace(/^"|"$/g, ''))
            : oddValueOfType(random, 'string');
        }
        if (random.chance(0.3)) body['ssml'] = true;
        return json(kind, body);
      }
      case 'odd-number': {
        const numeric = fields.filter((f) => f.type === 'number' || f.type === 'integer');
        const field = numeric.length > 0 ? random.pick(numeric) : some();
        return json(kind, { ...plausible(), [field.name]: oddValueOfType(random, 'number') });
      }
      case 'malformed':
        return { kind: 'json:malformed', body: malformedJsonText(random), contentType: 'application/json' };
      case 'deep': {
        const depth = random.pick([1000, 5000, 20_000, 100_000]);
        if (random.chance(0.5)) return json(kind, deepNesting(random, depth));
        return json(kind, { ...plausible(), [some().name]: deepNesting(random, depth) });
      }
      case 'huge': {
        const beyond = random.chance(0.4);
        const length = beyond
          ? this.context.maxJsonBytes + random.int(1, 100_000)
          : random.int(10_000, this.context.maxJsonBytes / 4);
        return json(beyond ? 'huge-beyond-limit' : 'huge', {
          ...plausible(),
          [some().name]: hugeString(random, length),
        });
      }
      case 'extra-keys': {
        const extra = random.pick([
          '__proto__',
          'constructor',
          'prototype',
          'toString',
          'nope',
          ...ODD_STRINGS,
        ]);
        return json(kind, objectWith(extra, { polluted: 1 }, plausible()));
      }
      case 'content-type': {
        const contentType = random.chance(0.2) ? undefined : random.pick(ODD_CONTENT_TYPES);
        return { kind: 'json:content-type', body: Buffer.from(jsonText(plausible())), contentType };
      }
      case 'invalid-utf8': {
        const field = some();
        const prefix = Buffer.from(`{"${field.name}":"`);
        const bad = random.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x00]]);
        return {
          kind: 'json:invalid-utf8',
          body: Buffer.concat([prefix, Buffer.from(bad), Buffer.from('"}')]),
          contentType: 'application/json',
        };
      }
    }
  }
}
