import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { encodeWav, wavHeaderForStream } from '../src/audio/wav.js';
import { encodeFixture, POCKETSPHINX_TEST_CONFIG, SHORT_CLIP } from './support/speech-fixtures.js';
import {
  deepMerge,
  requestJson,
  startTestGateway,
  type TestGateway,
  waitFor,
} from './support/test-gateway.js';

const LIMIT_SECONDS = 60;
const RATE = 16_000;
/** Five minutes of 16 kHz mono: 9.6 MB, of which the tests send only the first few KB. */
const LONG_SECONDS = 300;

interface Envelope {
  status: string;
  message: string;
  data: unknown;
  metadata: { error_code: string | null };
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: Envelope;
  /** Bytes of the body the client had sent when the answer arrived. */
  sentBytes: number;
}

/**
 * Starts a POST to /stt, writes `first` and then keeps the request open, sending nothing
 * more: answers with the response the server gives meanwhile. A server that waited for the
 * rest of the body would never answer (the test's own timeout then fails it).
 */
function sendOnly(
  t: TestGateway,
  headers: OutgoingHttpHeaders,
  first: Buffer[],
): Promise<{ answer: Answer; request: ClientRequest }> {
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    const request = httpRequest(`${t.url}/stt`, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve({
            request,
            answer: {
              status: response.statusCode ?? 0,
              connection: response.headers.connection,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope,
              sentBytes,
            },
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    request.on('error', reject);
    for (const piece of first) {
      request.write(piece);
      sentBytes += piece.length;
    }
  });
}

function multipartHead(boundary: string): Buffer {
  return Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="long.wav"\r\n` +
      'Content-Type: audio/wav\r\n\r\n',
  );
}

describe('POST /stt reads a WAV header before the rest of the upload', { timeout: 120_000 }, () => {
  let t: TestGateway;
  let dir: string;
  let longWav: Buffer;
  /** What the decoder answers for too-long audio (a FLAC of the same length, decoded as today). */
  let reference: { status: number; body: Envelope };

  before(async () => {
    t = await startTestGateway({
      config: deepMerge(POCKETSPHINX_TEST_CONFIG, {
        routers: { core: { stt: { max_audio_seconds: LIMIT_SECONDS } } },
      }),
    });
    dir = await mkdtemp(join(tmpdir(), 'sg-stt-wav-header-'));
    longWav = encodeWav(new Int16Array(RATE * LONG_SECONDS), RATE);
    const wavPath = join(dir, 'long.wav');
    await writeFile(wavPath, longWav);
    const flac = await readFile(await encodeFixture(wavPath, 'flac', dir));
    const form = new FormData();
    form.append('file', new Blob([flac]), 'long.flac');
    reference = await requestJson<Envelope>(`${t.url}/stt`, { method: 'POST', body: form });
    assert.equal(reference.status, 413, JSON.stringify(reference.body));
    assert.equal(reference.body.metadata.error_code, 'AUDIO_TOO_LONG');
  });
  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await waitFor(async () => (await readdir(join(t.dir, 'tmp'))).length === 0, 'temp folder empty', 5000);
  });

  function assertSameRefusal(answer: Answer): void {
    assert.equal(answer.status, reference.status, JSON.stringify(answer.body));
    assert.deepEqual(
      { ...answer.body, metadata: { error_code: answer.body.metadata.error_code } },
      { ...reference.body, metadata: { error_code: reference.body.metadata.error_code } },
    );
    // The rest of the body is never read: the connection closes after the answer.
    assert.equal(answer.connection, 'close');
  }

  it('refuses a raw WAV from its header alone (413 AUDIO_TOO_LONG, as the decoder says it)', async () => {
    const { answer, request } = await sendOnly(
      t,
      { 'Content-Type': 'audio/wav', 'Content-Length': String(longWav.length) },
      [longWav.subarray(0, 4096)],
    );
    request.destroy();
    assertSameRefusal(answer);
    assert.ok(answer.sentBytes < longWav.length / 100, `answered after ${answer.sentBytes} bytes`);
  });

  it('refuses a multipart WAV from its header alone', async () => {
    const boundary = 'sttwavheaderboundary';
    const head = multipartHead(boundary);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const { answer, request } = await sendOnly(
      t,
      {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + longWav.length + tail.length),
      },
      [head, longWav.subarray(0, 4096)],
    );
    request.destroy();
    assertSameRefusal(answer);
  });

  it('counts a streamed WAV (sizes 0xFFFFFFFF, no Content-Length) and refuses once past the limit', async () => {
    const pastTheLimit = Buffer.alloc(RATE * 2 * (LIMIT_SECONDS + 1));
    const chunks = [wavHeaderForStream(RATE)];
    for (let at = 0; at < pastTheLimit.length; at += 65_536)
      chunks.push(pastTheLimit.subarray(at, at + 65_536));
    const { answer, request } = await sendOnly(
      t,
      { 'Content-Type': 'audio/wav', 'Transfer-Encoding': 'chunked' },
      chunks,
    );
    request.destroy();
    assertSameRefusal(answer);
  });

  it('still transcribes a WAV whose data size is a placeholder longer than the file', async () => {
    // espeak writes 0x7FFFF000 when it cannot seek back: only the bytes that arrive are audio.
    const clip = Buffer.from(await readFile(SHORT_CLIP));
    assert.equal(clip.toString('latin1', 36, 40), 'data');
    clip.writeUInt32LE(0x7fff_f000, 40);
    const response = await requestJson<Envelope & { data: { text?: string } }>(`${t.url}/stt`, {
      method: 'POST',
      headers: { 'Content-Type': 'audio/wav' },
      body: clip,
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.match(String(response.body.data.text), /young man/);
  });
});
