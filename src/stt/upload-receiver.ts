import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { WavLengthWatch } from './wav-length-watch.js';

/** A request body (or its multipart `file` part) saved to a private temporary file. */
export interface ReceivedUpload {
  path: string;
  bytes: number;
  /**
   * Multipart text fields; a name sent more than once (or ending in `[]`) becomes a list.
   * An object without a prototype: a field named `__proto__` or `constructor` is just a key.
   */
  fields: Record<string, string | string[]>;
  /** The multipart file part's filename as the client sent it (untrusted; undefined for a raw body). */
  fileName?: string;
  /** Deletes the temporary file and its folder; safe to call more than once. */
  discard(): Promise<void>;
}

export interface UploadLimits {
  maxBytes: number;
  /** Folder under which each upload gets its own private folder (created if missing). */
  tempDir: string;
  /** The multipart field holding the audio. */
  fileField: string;
  /**
   * A 16-bit PCM WAV longer than `maxSeconds` is refused with `refusal()` as soon as its
   * header (or the bytes counted so far) shows it, not after the whole body was read.
   */
  wavLimit?: { maxSeconds: number; refusal: () => AppError };
}

const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 64 * 1024;
/**
 * Most bytes a well-formed multipart body can carry after its file part: the other parts
 * (fields up to their limit, headers up to busboy's 16 KiB each) and the closing boundary.
 */
const MAX_MULTIPART_TAIL_BYTES = MAX_FIELDS * (MAX_FIELD_BYTES + 16 * 1024) + 16 * 1024;
/** Owner-only: another local account can neither list the uploads nor read one. */
const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;

function tooLarge(maxBytes: number): AppError {
  const mb = maxBytes / (1024 * 1024);
  return new AppError(
    'FILE_TOO_LARGE',
    `The audio file is larger than the limit of ${Number(mb.toFixed(2))} MB.`,
  );
}

function invalidForm(message: string): AppError {
  return new AppError('VALIDATION_FAILED', message);
}

/**
 * Counts bytes on their way to the file and fails the pipeline as soon as the size limit is
 * passed, or (with a WAV watch) as soon as the audio is known to be too long.
 */
function byteLimit(
  maxBytes: number,
  counter: { bytes: number },
  wav?: { watch: WavLengthWatch; refusal: () => AppError },
): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) callback(tooLarge(maxBytes));
      else if (wav?.watch.exceeded(chunk)) callback(wav.refusal());
      else callback(null, chunk);
    },
  });
}

/** The WAV watch of an upload whose file is at least `knownFileBytes` long (when known). */
function wavWatch(
  limits: UploadLimits,
  knownFileBytes: number | undefined,
): { watch: WavLengthWatch; refusal: () => AppError } | undefined {
  if (!limits.wavLimit) return undefined;
  const known = knownFileBytes !== undefined && knownFileBytes > 0 ? knownFileBytes : undefined;
  return { watch: new WavLengthWatch(limits.wavLimit.maxSeconds, known), refusal: limits.wavLimit.refusal };
}

/** The request's Content-Length, when it sent a valid one. */
function declaredLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

/**
 * Streams an upload to a temporary file, never holding it in memory: a multipart body's
 * `file` part, or the whole body when it is sent raw (any non-multipart Content-Type;
 * what the audio is gets decided later from its bytes). The file is created 0600 in a
 * folder of its own created 0700. The size limit is enforced while streaming (and up
 * front from Content-Length): 413 FILE_TOO_LARGE, file deleted, the rest of the body
 * left unread and the connection closed. A body the parser cannot read is 400
 * VALIDATION_FAILED; a client that goes away mid-upload leaves nothing behind either.
 * No input reaches an uncaught exception: whatever a parser callback throws fails this
 * request only.
 */
export async function receiveUpload(
  req: Request,
  limits: UploadLimits,
  signal: AbortSignal,
): Promise<ReceivedUpload> {
  const declared = Number(req.headers['content-length']);
  if (
    Number.isFinite(declared) &&
    declared > limits.maxBytes + (isMultipart(req) ? MAX_FIELDS * MAX_FIELD_BYTES : 0)
  ) {
    throw refusedBeforeBody(req, tooLarge(limits.maxBytes));
  }
  let folder: string | undefined;
  const discard = async (): Promise<void> => {
    if (folder) await rm(folder, { recursive: true, force: true });
  };
  const counter = { bytes: 0 };
  try {
    await mkdir(limits.tempDir, { recursive: true, mode: FOLDER_MODE });
    folder = await mkdtemp(join(limits.tempDir, 'upload-'));
    const path = join(folder, 'audio');
    const part: { fileName?: string } = {};
    const fields = isMultipart(req)
      ? await receiveMultipart(req, limits, path, counter, signal, part)
      : await receiveRaw(req, limits, path, counter, signal);
    return { path, bytes: counter.bytes, fields, fileName: part.fileName, discard };
  } catch (error) {
    const bodyLeft = !req.complete;
    stopReading(req);
    await discard();
    if (signal.aborted && !(error instanceof AppError))
      throw new AppError('REQUEST_CANCELLED', 'The client closed the connection during the upload.');
    const answer =
      error instanceof AppError
        ? error
        : invalidForm('The upload could not be read (malformed or incomplete body).');
    throw bodyLeft ? closingConnection(answer) : answer;
  }
}

/**
 * An error answered before the body was read to its end also closes the connection: the
 * rest of the body is never read (keeping the connection would mean draining it, and a
 * client could send gigabytes after a 413). Node closes the socket once the answer is
 * written (`Connection: close`).
 */
function closingConnection(error: AppError): AppError {
  return new AppError(error.code, error.message, error.details, { ...error.headers, Connection: 'close' });
}

function isMultipart(req: Request): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

/** `error`, to be answered without reading the (rest of the) body: the connection then closes. */
export function refusedBeforeBody(req: Request, error: AppError): AppError {
  const bodyLeft = !req.complete;
  stopReading(req);
  return bodyLeft ? closingConnection(error) : error;
}

/** Leaves the rest of the body unread: the answer closes the connection (see closingConnection). */
function stopReading(req: Request): void {
  req.unpipe();
  req.pause();
}

/** A new temporary file only this process's user can read. */
function privateFile(path: string): WriteStream {
  return createWriteStream(path, { flags: 'wx', mode: FILE_MODE });
}

/** The raw body to the file. The request is piped, never destroyed, so the 413 can still be answered. */
async function receiveRaw(
  req: Request,
  limits: UploadLimits,
  path: string,
  counter: { bytes: number },
  signal: AbortSignal,
): Promise<Record<string, string | string[]>> {
  // The raw body is the file: Content-Length is its size (a shorter body fails the upload).
  const limiter = byteLimit(limits.maxBytes, counter, wavWatch(limits, declaredLength(req)));
  const written = pipeline(limiter, privateFile(path), { signal });
  const onError = (error: Error): void => void limiter.destroy(error);
  const onClose = (): void => {
    if (!req.complete) limiter.destroy(new Error('the request ended before its body was complete'));
  };
  req.once('error', onError);
  req.once('close', onClose);
  req.pipe(limiter);
  try {
    await written;
  } finally {
    req.off('error', onError);
    req.off('close', onClose);
    req.unpipe(limiter);
  }
  return Object.create(null) as Record<string, string | string[]>;
}

function receiveMultipart(
  req: Request,
  limits: UploadLimits,
  path: string,
  counter: { bytes: number },
  signal: AbortSignal,
  part: { fileName?: string },
): Promise<Record<string, string | string[]>> {
  return new Promise((resolve, reject) => {
    const fields = Object.create(null) as Record<string, string | string[]>;
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_FIELDS + 1 },
        // Browsers send file names as UTF-8 bytes.
        defParamCharset: 'utf8',
      });
    } catch (error) {
      // No boundary, or not a multipart type busboy knows.
      reject(
        invalidForm(
          `The multipart body cannot be read (${error instanceof Error ? error.message : 'bad Content-Type'}).`,
        ),
      );
      return;
    }
    let settled = false;
    /** Body bytes read so far. */
    const bodyRead = { bytes: 0 };
    let fileStream: Readable | undefined;
    let fileWritten: Promise<void> | undefined;
    const onAbort = (): void => fail(signal.reason);
    function fail(error: unknown): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stopReading(req);
      const reason = error instanceof Error ? error : new Error(String(error));
      // Once the parser is out of the chunk it is working on (destroying it from inside one
      // of its own callbacks would pull its state away mid-way); no further chunk comes.
      setImmediate(() => {
        // The file stream is stopped so the temporary file is closed before the caller deletes it.
        fileStream?.destroy(reason);
        parser.destroy();
        void (fileWritten ?? Promise.resolve()).catch(() => undefined).then(() => reject(reason));
      });
    }
    /** A busboy callback whose throw fails this request instead of reaching the process. */
    function guarded<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
      return (...args: A) => {
        try {
          handler(...args);
        } catch (error) {
          fail(error);
        }
      };
    }
    parser.on(
      'file',
      guarded((name: string | undefined, stream: Readable, info?: { filename?: string }) => {
        stream.on('error', () => undefined); // reported through fileWritten
        if (settled) {
          stream.resume(); // the rest of a chunk parsed after the request failed
          return;
        }
        if (!name) {
          stream.resume();
          throw invalidForm('A form part has no name (Content-Disposition: form-data; name="…").');
        }
        if (name !== limits.fileField) {
          stream.resume();
          return;
        }
        fileStream = stream;
        part.fileName = info?.filename;
        // The file part is at least what the body has left, less what may follow it.
        const bodyBytes = declaredLength(req);
        const knownFileBytes =
          bodyBytes === undefined ? undefined : bodyBytes - bodyRead.bytes - MAX_MULTIPART_TAIL_BYTES;
        const limiter = byteLimit(limits.maxBytes, counter, wavWatch(limits, knownFileBytes));
        fileWritten = pipeline(stream, limiter, privateFile(path), { signal });
        fileWritten.catch(fail);
      }),
    );
    parser.on(
      'field',
      guarded((name: string | undefined, value: string, info: { valueTruncated: boolean }) => {
        if (settled) return;
        if (!name) throw invalidForm('A form part has no name (Content-Disposition: form-data; name="…").');
        if (name === limits.fileField) {
          throw invalidForm(
            `The '${limits.fileField}' part must be a file: send it with a filename (or Content-Type: application/octet-stream).`,
          );
        }
        if (info.valueTruncated) {
          throw invalidForm(`The field '${name.slice(0, 64)}' is longer than ${MAX_FIELD_BYTES} bytes.`);
        }
        const list = name.endsWith('[]');
        const key = list ? name.slice(0, -2) : name;
        const existing = fields[key];
        if (existing === undefined) fields[key] = list ? [value] : value;
        else fields[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
      }),
    );
    parser.on('partsLimit', () => fail(invalidForm('The form has too many parts.')));
    parser.on('fieldsLimit', () => fail(invalidForm('The form has too many fields.')));
    parser.on('filesLimit', () =>
      fail(invalidForm(`The form may hold one file part only ('${limits.fileField}').`)),
    );
    parser.on('error', (error: unknown) =>
      fail(
        invalidForm(
          `The multipart body cannot be read (${error instanceof Error ? error.message : 'malformed'}).`,
        ),
      ),
    );
    parser.on(
      'close',
      guarded(() => {
        if (settled) return;
        if (!fileWritten) {
          throw new AppError(
            'VALIDATION_FAILED',
            `The form has no '${limits.fileField}' part with the audio.`,
          );
        }
        fileWritten.then(() => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          resolve(fields);
        }, fail);
      }),
    );
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('error', fail);
    // Counted before the parser sees the chunk: the count includes the chunk it is parsing.
    req.on('data', (chunk: Buffer) => {
      bodyRead.bytes += chunk.length;
    });
    req.pipe(parser);
  });
}
