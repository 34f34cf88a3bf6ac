import type { FuzzRandom } from './fuzz-random.js';
import { garbageAudio, hugeString, ODD_STRINGS, wavFile } from './fuzz-values.js';

/** One part of a multipart body: raw header lines and content. */
interface Part {
  headers: string[];
  body: Buffer;
}

export interface MultipartCase {
  /** Short name of the edge case, e.g. 'nameless-part'. */
  kind: string;
  contentType: string;
  body: Buffer;
}

/** Plausible values for the upload's text fields, so some requests get past validation. */
const PLAUSIBLE_FIELDS: Record<string, string[]> = {
  model: ['pocketsphinx', 'whisper-1'],
  language: ['en', 'en-US'],
  response_format: ['json', 'text', 'srt', 'vtt', 'verbose_json'],
  temperature: ['0', '0.2'],
  timestamp_granularities: ['word', 'segment', 'word,segment'],
  vocabulary: ['hello,world', 'yes'],
  grammar: ['#JSGF V1.0; grammar g; public <s> = hello | world ;'],
  prompt: ['a meeting'],
  timestamps: ['true', 'false'],
};

const ODD_FIELD_VALUES = [
  ...ODD_STRINGS,
  '-1',
  '2',
  'NaN',
  'Infinity',
  '1e309',
  ',,,,',
  '#JSGF V1.0; grammar g; public <s> = <s> <s> ;',
  '#JSGF V1.0; grammar g; public <s> = ( ;',
];

function disposition(name: string | null, filename?: string): string {
  let line = 'Content-Disposition: form-data';
  if (name !== null) line += `; name="${name}"`;
  if (filename !== undefined) line += `; filename="${filename}"`;
  return line;
}

function filePart(random: FuzzRandom, name = 'file', audio = garbageAudio(random)): Part {
  return {
    headers: [
      disposition(name, random.pick(['a.wav', 'x', '', '../../etc/passwd', 'é🙂.wav', 'a\u0000.wav'])),
      'Content-Type: audio/wav',
    ],
    body: audio,
  };
}

function fieldPart(name: string | null, value: string): Part {
  return { headers: [disposition(name)], body: Buffer.from(value, 'utf8') };
}

function encode(
  parts: Part[],
  boundary: string,
  options: { terminated?: boolean; eol?: string } = {},
): Buffer {
  const eol = options.eol ?? '\r\n';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(`--${boundary}${eol}${part.headers.map((h) => `${h}${eol}`).join('')}${eol}`, 'utf8'),
    );
    chunks.push(part.body, Buffer.from(eol));
  }
  if (options.terminated ?? true) chunks.push(Buffer.from(`--${boundary}--${eol}`));
  return Buffer.concat(chunks);
}

/**
 * A multipart/form-data body for an upload route: one edge case per call (nameless parts,
 * no file, many parts, wrong boundaries, unterminated bodies, garbage audio, …).
 * `fields` are the names of the route's text fields.
 */
export function fuzzMultipart(
  random: FuzzRandom,
  fields: readonly string[],
  maxFileBytes: number,
): MultipartCase {
  const boundary = `fuzz${random.int(0, 1e9)}`;
  const contentType = `multipart/form-data; boundary=${boundary}`;
  const someFields = (odd: boolean): Part[] =>
    fields
      .filter(() => random.chance(0.4))
      .map((name) =>
        fieldPart(name, odd ? random.pick(ODD_FIELD_VALUES) : random.pick(PLAUSIBLE_FIELDS[name] ?? ['x'])),
      );
  const kind = random.pick([
    'nameless-part',
    'no-disposition',
    'no-file',
    'garbage-audio',
    'odd-fields',
    'many-parts',
    'wrong-boundary',
    'unterminated',
    'oversized-field',
    'file-too-large',
    'duplicate-file',
    'odd-names',
    'lf-only',
    'empty-body',
    'odd-boundary',
    'tiny-real-audio',
  ]);
  switch (kind) {
    case 'nameless-part':
      return {
        kind,
        contentType,
        body: encode(
          random.chance(0.5) ? [fieldPart(null, 'x')] : [fieldPart(null, 'x'), filePart(random)],
          boundary,
        ),
      };
    case 'no-disposition':
      return {
        kind,
        contentType,
        body: encode(
          [{ headers: ['Content-Type: text/plain'], body: Buffer.from('x') }, filePart(random)],
          boundary,
        ),
      };
    case 'no-file':
      return { kind, contentType, body: encode(someFields(false), boundary) };
    case 'garbage-audio':
      return { kind, contentType, body: encode([...someFields(false), filePart(random)], boundary) };
    case 'odd-fields':
      return { kind, contentType, body: encode([...someFields(true), filePart(random)], boundary) };
    case 'many-parts': {
      const parts = Array.from({ length: random.int(30, 300) }, (_, i) =>
        fieldPart(random.pick([...fields, `f${i}`]), 'x'),
      );
      return { kind, contentType, body: encode([...parts, filePart(random)], boundary) };
    }
    case 'wrong-boundary':
      return {
        kind,
        contentType: `multipart/form-data; boundary=other${boundary}`,
        body: encode([filePart(random)], boundary),
      };
    case 'unterminated':
      return {
        kind,
        contentType,
        body: encode([...someFields(false), filePart(random)], boundary, { terminated: false }),
      };
    case 'oversized-field':
      return {
        kind,
        contentType,
        body: encode(
          [fieldPart(random.pick(fields), hugeString(random, 70_000)), filePart(random)],
          boundary,
        ),
      };
    case 'file-too-large':
      return {
        kind,
        contentType,
        body: encode([filePart(random, 'file', wavFile(random.bytes(maxFileBytes + 1)))], boundary),
      };
    case 'duplicate-file':
      return {
        kind,
        contentType,
        body: encode([filePart(random), filePart(random), filePart(random, 'file[]')], boundary),
      };
    case 'odd-names': {
      const name = random.pick([
        '',
        '__proto__',
        'constructor',
        'file[]',
        'é🙂',
        'a"b',
        'a\\',
        'toString',
        'hasOwnProperty',
      ]);
      const parts = random.chance(0.5) ? [fieldPart(name, 'x'), filePart(random)] : [filePart(random, name)];
      return { kind, contentType, body: encode(parts, boundary) };
    }
    case 'lf-only':
      return {
        kind,
        contentType,
        body: encode([...someFields(false), filePart(random)], boundary, { eol: '\n' }),
      };
    case 'empty-body':
      return { kind, contentType, body: Buffer.alloc(0) };
    case 'odd-boundary': {
      const odd = random.pick(['x'.repeat(200), '"quoted boundary"', 'é', '--', ' ']);
      return {
        kind,
        contentType: `multipart/form-data; boundary=${odd}`,
        body: encode([filePart(random)], odd.replace(/"/g, '')),
      };
    }
    default:
      // 0.1 s of noise in a well-formed WAV: the decoder really runs.
      return {
        kind,
        contentType,
        body: encode([...someFields(false), filePart(random, 'file', wavFile(random.bytes(3200)))], boundary),
      };
  }
}
