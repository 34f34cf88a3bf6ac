import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeWav, encodeWav } from '../src/audio/wav.js';
import { descendantPids } from '../src/audio/testing/processes.js';
import { FINAL_STATUSES, getJob, submitSttUpload, waitForJob } from './support/jobs.js';
import { LIBRIVOX, POCKETSPHINX_TEST_CONFIG } from './support/speech-fixtures.js';
import { readEvents } from './support/sse-reader.js';
import {
  deepMerge,
  requestJson,
  startTestGateway,
  type TestGateway,
  waitFor,
} from './support/test-gateway.js';

const SEGMENT_SECONDS = 4;
const PAUSE_SECONDS = 0.8;
/** Five LibriVox sentences (7.1, 3.0, 5.3, 6.1, 3.3 s): about 29 s with the pauses, 7 or 8 segments. */
const CLIPS = ['0870', '0880', '0890', '0920', '0930'].map((n) =>
  join(LIBRIVOX, `sense_and_sensibility_01_austen_64kb-${n}.wav`),
);
/** Words only the first sentence has ("and mister john dashwood had then leisure to consider…"). */
const FIRST_SENTENCE_WORDS = ['john', 'dashwood', 'leisure', 'consider', 'prudently', 'power', 'there'];
/** Words only the last sentence has ("he might even have been made amiable himself"). */
const LAST_SENTENCE_WORDS = ['even', 'himself'];

interface Word {
  text: string;
  start: number;
  end: number;
}

/** The sentences one after another, each followed by a pause of digital silence (16 kHz mono WAV). */
async function longRecording(path: string): Promise<number> {
  const parts: Int16Array[] = [];
  for (const clip of CLIPS) {
    const wav = decodeWav(await readFile(clip));
    assert.equal(wav.sampleRate, 16_000);
    parts.push(wav.samples, new Int16Array(PAUSE_SECONDS * 16_000));
  }
  const samples = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    samples.set(part, at);
    at += part.length;
  }
  await writeFile(path, encodeWav(samples, 16_000));
  return samples.length / 16_000;
}

for (const database of ['embedded', 'postgres'] as const) {
  describe(`STT job progress by segment (${database} database)`, { timeout: 300_000 }, () => {
    let t: TestGateway;
    let dir: string;
    let recording: string;
    let seconds: number;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sg-stt-segments-'));
      recording = join(dir, 'long.wav');
      seconds = await longRecording(recording);
      t = await startTestGateway({
        database,
        config: deepMerge(POCKETSPHINX_TEST_CONFIG, {
          routers: { core: { jobs: { stt_segment_seconds: SEGMENT_SECONDS } } },
        }),
      });
    });
    after(async () => {
      await t?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('reports progress after each segment and joins the segments into one timed transcript', async () => {
      const submitted = await submitSttUpload(t.url, undefined, recording);
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const id = submitted.body.data?.job_id ?? '';
      const events = await readEvents(await fetch(`${t.url}/jobs/${id}/events`));
      assert.equal(events.at(-1)?.event, 'completed', JSON.stringify(events.at(-1)));

      // Start of transcription is 0.1, storing 0.95: positions in between come from the segments.
      const transcribing = events
        .filter((event) => event.event === 'progress' && event.data['stage'] === 'transcribing')
        .map((event) => Number(event.data['progress']))
        .filter((value) => value > 0.1 && value < 0.95);
      const distinct = [...new Set(transcribing)];
      assert.ok(distinct.length >= 3, `progress while transcribing: ${JSON.stringify(transcribing)}`);
      for (let i = 1; i < transcribing.length; i++)
        assert.ok(transcribing[i] > transcribing[i - 1], `increasing: ${JSON.stringify(transcribing)}`);
      const withEta = events.filter(
        (event) => event.data['stage'] === 'transcribing' && typeof event.data['eta_seconds'] === 'number',
      );
      assert.ok(withEta.length > 0, 'an eta from the pace so far');

      const job = await getJob(t.url, undefined, id);
      assert.equal(job.status, 'completed');
      assert.ok(
        Math.abs((job.result?.duration_seconds ?? 0) - seconds) < 0.1,
        `${job.result?.duration_seconds}`,
      );
      const result = await requestJson<{ text: string; words?: Word[]; duration_seconds: number }>(
        `${t.url}/jobs/${id}/result`,
      );
      const text = result.body.text;
      assert.equal(text, job.result?.text);
      assert.doesNotMatch(text, /\s{2}|^\s|\s$/, 'segments joined by single spaces');
      const spoken = new Set(text.split(' '));
      assert.ok(
        FIRST_SENTENCE_WORDS.some((word) => spoken.has(word)),
        `a word of the first sentence in: ${text}`,
      );
      assert.ok(
        LAST_SENTENCE_WORDS.some((word) => spoken.has(word)),
        `a word of the last sentence in: ${text}`,
      );

      const words = result.body.words ?? [];
      assert.ok(words.length > 20, `words: ${words.length}`);
      for (let i = 1; i < words.length; i++) {
        assert.ok(
          words[i].start >= words[i - 1].start,
          `word starts in order at ${i}: ${JSON.stringify(words.slice(i - 1, i + 1))}`,
        );
        assert.ok(words[i].end >= words[i].start);
      }
      // Timings are shifted by each segment's start: the last words lie near the end of the recording.
      const last = words.at(-1);
      assert.ok((last?.start ?? 0) > SEGMENT_SECONDS, `last word at ${last?.start}`);
      assert.ok((last?.start ?? 0) > seconds - 10, `last word at ${last?.start} of ${seconds} s`);
    });

    it('stops at a cancel between segments: the segment in flight and the decoder are stopped', async () => {
      const submitted = await submitSttUpload(t.url, undefined, recording);
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const id = submitted.body.data?.job_id ?? '';
      // Wait for the first segment's progress, then cancel.
      const seen = await readEvents(await fetch(`${t.url}/jobs/${id}/events`), (event) =>
        Number(event.data['progress']) > 0.1 || event.event !== 'progress' ? 'stop' : undefined,
      );
      assert.equal(seen.at(-1)?.event, 'progress', JSON.stringify(seen.at(-1)));
      const cancel = await requestJson(`${t.url}/jobs/${id}/cancel`, { method: 'POST' });
      assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
      const job = await waitForJob(t.url, undefined, id, (view) => FINAL_STATUSES.includes(view.status));
      assert.equal(job.status, 'cancelled', JSON.stringify(job));
      assert.ok(job.progress < 0.95, `stopped while transcribing (progress ${job.progress})`);
      // The streaming decoder of the recording is gone with the job.
      await waitFor(() => descendantPids('ffmpeg').length === 0, 'no ffmpeg left', 10_000);
    });
  });
}
