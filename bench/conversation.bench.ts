/**
 * A spoken conversation turn, streamed: the time from sending the audio to the first
 * audio.delta event, against the sum of its stages measured alone on the same gateway —
 * POST /stt of the clip, the chat engine's stream up to its first complete sentence, and
 * POST /tts of that sentence. Alternating, median of BENCH_CONVERSATION_ROUNDS each; the
 * ratio's goal is <= 1.2 (the pipeline adds little to its stages: history, splitting,
 * encoding and the SSE framing). The chat engine is a local server speaking OpenAI's
 * streaming contract, writing one word every BENCH_CHAT_DELTA_MS (default 20 ms).
 *
 * Run after building: node dist/bench/conversation.bench.js (or `npm run bench`).
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ESPEAK_TEST_CONFIG } from '../test/support/espeak-config.js';
import { startFakeOpenAiChat } from '../test/support/fake-openai-chat.js';
import { POCKETSPHINX_TEST_CONFIG, SHORT_CLIP } from '../test/support/speech-fixtures.js';
import { readEvents } from '../test/support/sse-reader.js';
import { deepMerge } from '../test/support/test-gateway.js';
import { startBenchGateway } from './bench-gateway.js';

const ROUNDS = Number(process.env.BENCH_CONVERSATION_ROUNDS ?? 5);
const DELTA_MS = Number(process.env.BENCH_CHAT_DELTA_MS ?? 20);
const REPLY =
  'That sounds like a line from an old novel. Would you like me to read you some more of it? I can also tell you the time.';
const FIRST_SENTENCE = 'That sounds like a line from an old novel.';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function sttMs(url: string, clip: Buffer): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/stt`, {
    method: 'POST',
    headers: { 'Content-Type': 'audio/wav' },
    body: clip,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`/stt answered ${response.status}`);
  return performance.now() - started;
}

/** The chat engine alone: its stream until the first sentence is complete (a full stop and a space). */
async function chatFirstSentenceMs(baseUrl: string, key: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  if (!response.body) throw new Error('no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let at: number | undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const line of decoder.decode(value, { stream: true }).split('\n')) {
      if (!line.startsWith('data: {')) continue;
      const chunk = JSON.parse(line.slice(6)) as { choices: Array<{ delta: { content?: string } }> };
      text += chunk.choices[0]?.delta.content ?? '';
    }
    if (/[.!?]\s/.test(text)) {
      at = performance.now();
      await reader.cancel();
      break;
    }
  }
  if (at === undefined) throw new Error('the chat stream had no complete sentence');
  return at - started;
}

async function ttsMs(url: string, text: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/tts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ text, response_format: 'wav' }),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`/tts answered ${response.status}`);
  return performance.now() - started;
}

/** The turn: multipart upload, stream: true; time to the first audio.delta. */
async function turnFirstAudioMs(url: string, clip: Buffer): Promise<number> {
  const form = new FormData();
  form.append('stream', 'true');
  form.append('file', new Blob([clip]), 'turn.wav');
  const started = performance.now();
  const response = await fetch(`${url}/conversation`, { method: 'POST', body: form });
  let firstAudio: number | undefined;
  const events = await readEvents(response, (event) => {
    if (event.event === 'audio.delta') firstAudio ??= event.at;
  });
  const last = events.at(-1);
  if (last?.event !== 'done' || firstAudio === undefined) {
    throw new Error(`the turn ended with ${JSON.stringify(last)}`);
  }
  return firstAudio - started;
}

export async function runConversationBenchmark(): Promise<void> {
  const chat = await startFakeOpenAiChat();
  chat.replyWith = () => REPLY;
  chat.deltaIntervalMs = DELTA_MS;
  const bench = await startBenchGateway(
    'conversation',
    deepMerge(deepMerge(ESPEAK_TEST_CONFIG, POCKETSPHINX_TEST_CONFIG), {
      auth: { enforce: false },
      // Every /tts of the same sentence would be a cache hit: each stage is measured doing its work.
      routers: { core: { tts: { cache: { enabled: false } } } },
      engines: {
        chat: [{ id: 'llm', type: 'openai', options: { base_url: chat.baseUrl, api_key: chat.key } }],
      },
    }),
  );
  try {
    const clip = await readFile(SHORT_CLIP);
    // Warm-up: voices seeded, decoder and synthesiser loaded, connections open.
    await ttsMs(bench.url, FIRST_SENTENCE);
    await sttMs(bench.url, clip);
    await turnFirstAudioMs(bench.url, clip);
    const turn: number[] = [];
    const stages: number[] = [];
    const parts = { stt: [] as number[], chat: [] as number[], tts: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      turn.push(await turnFirstAudioMs(bench.url, clip));
      const stt = await sttMs(bench.url, clip);
      const chatMs = await chatFirstSentenceMs(chat.baseUrl, chat.key);
      const tts = await ttsMs(bench.url, FIRST_SENTENCE);
      parts.stt.push(stt);
      parts.chat.push(chatMs);
      parts.tts.push(tts);
      stages.push(stt + chatMs + tts);
    }
    const turnMedian = median(turn);
    const stagesMedian = median(stages);
    console.log(`spoken turn (2.9 s clip), ${ROUNDS} rounds, chat writes a word every ${DELTA_MS} ms`);
    console.log(`  time to first audio (POST /conversation, stream): ${turnMedian.toFixed(0)} ms (median)`);
    console.log(
      `  stages alone: STT ${median(parts.stt).toFixed(0)} ms + chat to 1st sentence ${median(parts.chat).toFixed(0)} ms + TTS of it ${median(parts.tts).toFixed(0)} ms = ${stagesMedian.toFixed(0)} ms (median of sums)`,
    );
    console.log(
      `  ratio first audio / sum of stages: ${(turnMedian / stagesMedian).toFixed(3)}  (goal <= 1.2)`,
    );
  } finally {
    await bench.close();
    await chat.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runConversationBenchmark();
}
