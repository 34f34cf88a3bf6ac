import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  transcriptWords,
  wordErrorRate as wordErrorRateOf,
} from '../src/engines/testing/stt-engine.contract.js';
import { LIBRIVOX, POCKETSPHINX_TEST_CONFIG } from './support/speech-fixtures.js';

function wordErrorRate(reference: string, heard: string): number {
  return wordErrorRateOf(transcriptWords(reference), transcriptWords(heard));
}
import { deepMerge, startTestGateway, type TestGateway, waitForVoices } from './support/test-gateway.js';

/**
 * Known sentences spoken by espeak-ng (/tts) and recognised by pocketsphinx (/stt).
 * pocketsphinx's model was trained on human speech, and espeak's formant voice is far from
 * it, so open-vocabulary recognition of it is poor; a vocabulary makes it usable.
 */
const SENTENCES = [
  'the weather is nice today',
  'please open the door',
  'i would like a cup of coffee',
  'turn left at the next street',
  'the meeting starts at ten',
];
/*
 * Word error rates measured here (Debian bookworm pocketsphinx 5prealpha en-us, espeak-ng
 * WASM en-us at 16 kHz, five runs at speeds 0.8–1.2): open vocabulary 0.82–0.93, a word
 * vocabulary 0.46–0.66, the sentences as a phrase vocabulary 0.00. The bounds leave room
 * for espeak's run-to-run variation; the five LibriVox recordings (human speech) measure 0.40 (deterministic).
 */
const MAX_OPEN_WER = 0.99;
const MAX_WORDS_WER = 0.75;
const MAX_PHRASES_WER = 0.05;
const MAX_LIBRIVOX_WER = 0.45;

describe('text to speech to text round trip', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ config: deepMerge(ESPEAK_TEST_CONFIG, POCKETSPHINX_TEST_CONFIG) });
    await waitForVoices(t.url);
  });
  after(() => t.close());

  async function speak(text: string): Promise<Buffer> {
    const response = await fetch(`${t.url}/tts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, voice: 'en-us', response_format: 'wav', sample_rate: 16000 }),
    });
    assert.equal(response.status, 200);
    return Buffer.from(await response.arrayBuffer());
  }

  async function hear(audio: Buffer, fields: Record<string, string> = {}): Promise<string> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([audio]), 'speech.wav');
    const response = await fetch(`${t.url}/stt`, { method: 'POST', body: form });
    const body = (await response.json()) as { data: { text: string } };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.data.text;
  }

  it('recognises espeak-ng speech within the measured word error rates', async () => {
    const words = [...new Set(SENTENCES.join(' ').split(' '))].join(',');
    const phrases = SENTENCES.join(',');
    const total = { open: 0, words: 0, phrases: 0 };
    for (const sentence of SENTENCES) {
      const audio = await speak(sentence);
      const heard = {
        open: await hear(audio),
        words: await hear(audio, { vocabulary: words }),
        phrases: await hear(audio, { vocabulary: phrases }),
      };
      for (const mode of ['open', 'words', 'phrases'] as const)
        total[mode] += wordErrorRate(sentence, heard[mode]) / SENTENCES.length;
      console.log(`said "${sentence}" | heard ${JSON.stringify(heard)}`);
    }
    console.log(`word error rate: ${JSON.stringify(total)}`);
    assert.ok(total.open <= MAX_OPEN_WER, `open-vocabulary WER ${total.open.toFixed(2)}`);
    assert.ok(total.words <= MAX_WORDS_WER, `word-vocabulary WER ${total.words.toFixed(2)}`);
    assert.ok(total.phrases <= MAX_PHRASES_WER, `phrase-vocabulary WER ${total.phrases.toFixed(2)}`);
  });

  it('recognises the LibriVox recordings within the measured word error rate', async () => {
    // "<s> words </s> (file-id)" per line, from Debian's pocketsphinx-testdata.
    const lines = (await readFile(join(LIBRIVOX, 'transcription'), 'utf8')).split('\n').filter(Boolean);
    let total = 0;
    for (const line of lines) {
      const [, reference, id] = /^<s> (.*) <\/s> \((.+)\)$/.exec(line.trim()) ?? [];
      const heard = await hear(await readFile(join(LIBRIVOX, `${id}.wav`)));
      total += wordErrorRate(reference, heard) / lines.length;
    }
    console.log(`LibriVox word error rate: ${total.toFixed(2)}`);
    assert.ok(total <= MAX_LIBRIVOX_WER, `LibriVox WER ${total.toFixed(2)}`);
  });
});
