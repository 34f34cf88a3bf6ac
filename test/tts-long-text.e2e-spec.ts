import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeAudio } from '../src/audio/testing/probe.js';
import { decodeWav } from '../src/audio/wav.js';
import { startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';

const PARAGRAPH =
  'The quick brown fox jumps over the lazy dog, and then it runs far away into the forest. ' +
  'On 12 March it came back; nobody knows why. ';

/** Text of exactly `length` characters, cut at a space. */
function textOf(length: number): string {
  const text = PARAGRAPH.repeat(Math.ceil(length / PARAGRAPH.length) + 1).slice(0, length);
  return `${text.slice(0, text.lastIndexOf(' '))}.`;
}

/** Where two byte strings first differ (a length difference counts), or -1; big buffers make unreadable assertion diffs. */
function firstDifference(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

async function post(t: TestGateway, body: Record<string, unknown>) {
  const response = await fetch(`${t.url}/tts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, response.status === 200 ? '' : bytes.toString());
  return { response, bytes };
}

/** Temporary answer files the gateway left behind (removal follows the response's end closely, not at once). */
async function leftoverFiles(tempDir: string): Promise<string[]> {
  let left: string[] = [];
  for (let attempt = 0; attempt < 100; attempt++) {
    left = (await readdir(tempDir)).filter((name) => name.startsWith('tts-'));
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return left;
}

describe('POST /tts with long text, written chunk by chunk to a file', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      config: {
        features: { library_integration: true },
        // One backend for every chunk: auto may switch once it has timed both, and the two
        // backends' data sets differ slightly, so equal requests would not give equal bytes.
        engines: {
          tts: [
            {
              id: 'espeak',
              type: 'espeak',
              options: { backend: existsSync('/usr/bin/espeak-ng') ? 'native' : 'wasm' },
            },
          ],
        },
        // Every answer takes the file path; the stream's first chunk is not cut smaller, so
        // the stream is made of the same chunks as the whole answer.
        routers: {
          core: {
            tts: { max_text_length: 30_000, max_audio_seconds: 7200, in_memory_audio_seconds: 0 },
          },
        },
        gen: { stream_first_chunk_size: 0 },
      },
    });
    await waitForVoices(t.url);
  });
  after(() => t.close());

  it('answers 20,000 characters as one valid WAV, equal to the stream and to the cached answer', async () => {
    const text = textOf(Number(process.env.LONG_TEXT_CHARS ?? 20_000));
    const first = await post(t, { text, response_format: 'wav' });
    assert.equal(first.response.headers.get('content-length'), String(first.bytes.length));
    const wav = decodeWav(first.bytes);
    // The header holds the real length (patched once the audio was complete), not a stream's placeholder.
    assert.equal(first.bytes.readUInt32LE(40), first.bytes.length - 44);
    assert.equal(first.bytes.readUInt32LE(4), first.bytes.length - 8);
    const seconds = wav.samples.length / wav.sampleRate;
    assert.ok(Math.abs(Number(first.response.headers.get('x-audio-duration')) - seconds) < 0.001);
    // Roughly 8–25 characters a second of speech.
    assert.ok(seconds > text.length / 25 && seconds < text.length / 8, `${seconds} s`);
    const probed = await probeAudio(first.bytes);
    assert.ok(Math.abs(probed.decodedSeconds - seconds) < 0.01);

    const streamed = await post(t, { text, response_format: 'wav', stream: true });
    assert.equal(
      firstDifference(streamed.bytes.subarray(44), first.bytes.subarray(44)),
      -1,
      'the stream has the same samples',
    );

    const cached = await post(t, { text, response_format: 'wav' });
    assert.equal(cached.response.headers.get('x-cache'), 'hit');
    assert.ok(cached.bytes.equals(first.bytes), 'the cache holds the file that was sent');
    assert.deepEqual(await leftoverFiles(join(t.dir, 'tmp')), [], 'temporary files are removed once sent');
  });

  it('writes mp3 through ffmpeg into the file, with its exact length', async () => {
    const text = textOf(3000);
    const { response, bytes } = await post(t, { text, response_format: 'mp3' });
    assert.equal(response.headers.get('content-type'), 'audio/mpeg');
    const probed = await probeAudio(bytes);
    assert.equal(probed.codec, 'mp3');
    const declared = Number(response.headers.get('x-audio-duration'));
    // ffmpeg wrote a seekable file: the Xing/LAME header makes the decoded length exact.
    assert.ok(Math.abs(probed.decodedSeconds - declared) < 0.1, `${probed.decodedSeconds} vs ${declared}`);
  });

  it('answers /v1/audio/speech from the file too', async () => {
    const input = textOf(1500);
    const response = await fetch(`${t.url}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'tts-1', voice: 'alloy', input, response_format: 'wav' }),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(response.status, 200, bytes.toString().slice(0, 200));
    assert.equal(response.headers.get('content-length'), String(bytes.length));
    const wav = decodeWav(bytes);
    assert.ok(wav.samples.length / wav.sampleRate > input.length / 25);
  });
});
