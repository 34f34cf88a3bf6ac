import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';

/** A request body (or its multipart `file` part) saved to a private temporary file. */
export interface ReceivedUpload {
  path: string;
  bytes: number;
  /** Multipart text fields; a name sent more than once (or ending in `[]`) becomes a list. */
  fields: Record<string, string | string[]>;
  /** Deletes the temporary file; safe to call more than once. */
  discard(): Promise<void>;
}

export interface UploadLimits {
  maxBytes: number;
  /** Folder for the temporary file (created if missing). */
  tempDir: string;
  /** The multipart field holding the audio. */
  fileField: string;
}

const MAX_FIELDS = 32;
const MAX_FIELD_BYTES = 64 * 1024;

function tooLarge(maxBytes: number): AppError {
  const mb = maxBytes / (1024 * 1024);
  return new AppError(
    'FILE_TOO_LARGE',
    `The audio file is larger than the limit of ${Number(mb.toFixed(2))} MB.`,
  );
}

/** Counts bytes on their way to the file and fails the pipeline as soon as the limit is passed. */
function byteLimit(maxBytes: number, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) callback(tooLarge(maxBytes));
      else callback(null, chunk);
    },
  });
}

/**
 * Streams an upload to a temporary file, never holding it in memory: a multipart body's
 * `file` part, or the whole body when it is sent raw (any non-multipart Content-Type;
 * what the audio is gets decided later from its bytes). The size limit is enforced while
 * streaming (and up front from Content-Length): 413 FILE_TOO_LARGE, file deleted. A body
 * the parser cannot read is 400 VALIDATION_FAILED; a client that goes away mid-upload
 * leaves nothing behind either.
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
    throw tooLarge(limits.maxBytes);
  }
  await mkdir(limits.tempDir, { recursive: true });
  const path = join(limits.tempDir, `upload-${randomBytes(12).toString('hex')}`);
  const discard = (): Promise<void> => rm(path, { force: true });
  const counter = { bytes: 0 };
  try {
    const fields = isMultipart(req)
      ? await receiveMultipart(req, limits, path, counter, signal)
      : (await pipeline(req, byteLimit(limits.maxBytes, counter), createWriteStream(path), { signal }), {});
    return { path, bytes: counter.bytes, fields, discard };
  } catch (error) {
    await discard();
    if (error instanceof AppError) throw error;
    if (signal.aborted)
      throw new AppError('REQUEST_CANCELLED', 'The client closed the connection during the upload.');
    throw new AppError('VALIDATION_FAILED', 'The upload could not be read (malformed or incomplete body).');
  }
}

function isMultipart(req: Request): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

function receiveMultipart(
  req: Request,
  limits: UploadLimits,
  path: string,
  counter: { bytes: number },
  signal: AbortSignal,
): Promise<Record<string, string | string[]>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string | string[]> = {};
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, parts: MAX_FIELDS + 1 },
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    let settled = false;
    let fileWritten: Promise<void> | undefined;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.resume(); // the rest of the body is drained, not parsed
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    parser.on('file', (name: string, stream: Readable) => {
      if (name !== limits.fileField || fileWritten) {
        stream.resume();
        return;
      }
      fileWritten = pipeline(stream, byteLimit(limits.maxBytes, counter), createWriteStream(path), {
        signal,
      });
      fileWritten.catch(fail);
    });
    parser.on('field', (name: string, value: string, info: { valueTruncated: boolean }) => {
      if (info.valueTruncated) {
        fail(
          new AppError('VALIDATION_FAILED', `The field '${name}' is longer than ${MAX_FIELD_BYTES} bytes.`),
        );
        return;
      }
      const key = name.endsWith('[]') ? name.slice(0, -2) : name;
      const existing = fields[key];
      if (existing === undefined) fields[key] = name.endsWith('[]') ? [value] : value;
      else fields[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    });
    parser.on('partsLimit', () => fail(new AppError('VALIDATION_FAILED', 'The form has too many parts.')));
    parser.on('fieldsLimit', () => fail(new AppError('VALIDATION_FAILED', 'The form has too many fields.')));
    parser.on('error', fail);
    parser.on('close', () => {
      if (settled) return;
      if (!fileWritten) {
        fail(new AppError('VALIDATION_FAILED', `The form has no '${limits.fileField}' part with the audio.`));
        return;
      }
      fileWritten.then(() => {
        if (settled) return;
        settled = true;
        resolve(fields);
      }, fail);
    });
    signal.addEventListener('abort', () => fail(signal.reason), { once: true });
    req.pipe(parser);
  });
}
