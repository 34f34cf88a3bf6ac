import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { receiveUpload, type UploadLimits } from './upload-receiver.js';

interface Outcome {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: {
    code?: string;
    message?: string;
    fields?: Record<string, unknown>;
    prototype?: string;
    bytes?: number;
    content?: string;
    fileMode?: number;
    folderMode?: number;
    leftAfterDiscard?: boolean;
  };
}

/** A plain HTTP server whose every request goes through receiveUpload (what the STT service does). */
describe('receiveUpload', () => {
  let server: Server;
  let port: number;
  let tempDir: string;
  const limits = (): UploadLimits => ({ maxBytes: 1024, tempDir, fileField: 'file' });

  before(async () => {
    tempDir = join(await mkdtemp(join(tmpdir(), 'sg-upload-')), 'uploads');
    server = createServer((req, res) => {
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      receiveUpload(req as unknown as Request, limits(), new AbortController().signal).then(
        async (upload) => {
          const file = await stat(upload.path);
          const folder = await stat(dirname(upload.path));
          const content = await readFile(upload.path, 'utf8');
          await upload.discard();
          const left = await stat(dirname(upload.path)).then(
            () => true,
            () => false,
          );
          answer(200, {
            fields: { ...upload.fields },
            prototype: Object.getPrototypeOf(upload.fields) === null ? 'none' : 'some',
            bytes: upload.bytes,
            content,
            fileMode: file.mode & 0o777,
            folderMode: folder.mode & 0o777,
            leftAfterDiscard: left,
          });
        },
        (error: unknown) => {
          assert.ok(error instanceof AppError, `not an AppError: ${String(error)}`);
          answer(error.status, { code: error.code, message: error.message }, error.headers);
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dirname(tempDir), { recursive: true, force: true });
  });

  function post(body: string | Buffer, contentType: string | undefined): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { 'Content-Length': Buffer.byteLength(body) };
      if (contentType) headers['Content-Type'] = contentType;
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/', headers },
        (res: IncomingMessage) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: JSON.parse(text) as Outcome['body'],
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const FORM = 'multipart/form-data; boundary=B';
  const part = (disposition: string, value: string, type?: string): string =>
    `--B\r\nContent-Disposition: ${disposition}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n${value}\r\n`;
  const file = (value = 'RIFF....WAVE'): string => part('form-data; name="file"; filename="a.wav"', value);

  it('saves the file part in a 0600 file inside a 0700 folder of its own, removed by discard()', async () => {
    const outcome = await post(
      `${part('form-data; name="language"', 'en')}${file('audio bytes')}--B--\r\n`,
      FORM,
    );
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body.content, 'audio bytes');
    assert.equal(outcome.body.fileMode, 0o600);
    assert.equal(outcome.body.folderMode, 0o700);
    assert.equal(outcome.body.leftAfterDiscard, false);
    assert.deepEqual(outcome.body.fields, { language: 'en' });
    assert.deepEqual(await readdir(tempDir), []);
  });

  it('saves a raw body the same way', async () => {
    const outcome = await post('raw audio', 'audio/wav');
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body.content, 'raw audio');
    assert.equal(outcome.body.fileMode, 0o600);
    assert.equal(outcome.body.folderMode, 0o700);
  });

  it('refuses nameless parts with 400 instead of throwing in the parser', async () => {
    for (const body of [
      `--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n`,
      `${file()}${part('form-data; name=""', 'x')}--B--\r\n`,
      `${part('form-data; filename="a.wav"', 'x')}--B--\r\n`,
      `${part('form-data', 'x', 'application/octet-stream')}--B--\r\n`,
      // The file part after the refusal, in the same chunk, is never written.
      `${part('form-data', 'x')}${file()}--B--\r\n`,
    ]) {
      const outcome = await post(body, FORM);
      assert.equal(outcome.status, 400, body);
      assert.equal(outcome.body.code, 'VALIDATION_FAILED');
      assert.match(outcome.body.message ?? '', /no name/);
    }
    assert.deepEqual(await readdir(tempDir), []);
  });

  it('keeps __proto__ and constructor fields as plain keys of an object without a prototype', async () => {
    const body =
      part('form-data; name="__proto__"', 'x') +
      part('form-data; name="__proto__[]"', 'y') +
      part('form-data; name="constructor"', 'z') +
      part('form-data; name="toString"', 'w') +
      `${file()}--B--\r\n`;
    const outcome = await post(body, FORM);
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body.prototype, 'none');
    assert.deepEqual(outcome.body.fields, { ['__proto__']: ['x', 'y'], constructor: 'z', toString: 'w' });
    assert.equal(({} as Record<string, unknown>)['0'], undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });

  it('answers 400 for forms it cannot use', async () => {
    const cases: Array<[string, string | undefined, RegExp]> = [
      [`${file()}--B--\r\n`, 'multipart/form-data', /cannot be read/], // no boundary
      [`${file()}--B--\r\n`, 'multipart/form-data; boundary=OTHER', /cannot be read|no 'file'/],
      [`${file()}`, FORM, /cannot be read/], // the closing boundary never comes
      ['', FORM, /cannot be read/],
      [`${part('form-data; name="file"', 'not a file')}--B--\r\n`, FORM, /must be a file/],
      [`${part('form-data; name="file"; filename=""', 'x')}--B--\r\n`, FORM, /must be a file/],
      [`${file()}${file()}--B--\r\n`, FORM, /one file part only/],
      [`${part('form-data; name="language"', 'en')}--B--\r\n`, FORM, /no 'file' part/],
      [
        `${Array.from({ length: 40 }, (_, n) => part(`form-data; name="f${n}"`, 'x')).join('')}${file()}--B--\r\n`,
        FORM,
        /too many/,
      ],
      [`${part('form-data; name="big"', 'x'.repeat(70_000))}${file()}--B--\r\n`, FORM, /longer than/],
    ];
    for (const [body, type, message] of cases) {
      const outcome = await post(body, type);
      assert.equal(outcome.status, 400, `${type}: ${body.slice(0, 80)}`);
      assert.equal(outcome.body.code, 'VALIDATION_FAILED');
      assert.match(outcome.body.message ?? '', message);
    }
    assert.deepEqual(await readdir(tempDir), []);
  });

  it('answers 413 over the limit, closing the connection when the body is left unread', async () => {
    for (const [body, type] of [
      [`${part('form-data; name="file"; filename="a.wav"', 'x'.repeat(200_000))}--B--\r\n`, FORM],
      ['x'.repeat(200_000), 'application/octet-stream'],
    ] as const) {
      const outcome = await post(body, type);
      assert.equal(outcome.status, 413);
      assert.equal(outcome.body.code, 'FILE_TOO_LARGE');
      assert.equal(outcome.headers['connection'], 'close');
    }
    assert.deepEqual(await readdir(tempDir), []);
  });
});
