/*
 * One espeak-ng WASM instance in a worker thread. The build is wasm2js (plain JavaScript),
 * so a synthesis is a long synchronous call: keeping it off the main thread is what keeps
 * the gateway responsive, and one instance per worker is required because espeak keeps
 * voice and rate in C globals. The worker takes one job at a time (the pool guarantees it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import createEspeakModule, { type eSpeakNGWorker } from '@echogarden/espeak-ng-emscripten';
import type { EspeakVoiceInfo } from './espeak-voice-catalog.js';
import type { FromWorker, ToWorker, WasmSynthesisJob, WasmWorkerData } from './espeak-wasm.protocol.js';

const port = parentPort;
if (!port) throw new Error('espeak-wasm.worker must run as a worker thread');
const abortFlag = new Int32Array((workerData as WasmWorkerData).abortFlag);
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function listVoices(espeak: eSpeakNGWorker): EspeakVoiceInfo[] {
  // list_voices() omits the gender, which only the raw struct has; both walk the same list.
  return espeak.list_voices().map((voice, index) => ({
    identifier: voice.identifier,
    name: voice.name,
    languages: voice.languages,
    gender: espeak.get_voices(index).get_gender(),
  }));
}

let espeak: eSpeakNGWorker;
try {
  const module = await createEspeakModule();
  espeak = new module.eSpeakNGWorker();
  send({ type: 'ready', sampleRate: espeak.samplerate, voices: listVoices(espeak) });
} catch (error) {
  send({ type: 'startup-failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

/** set_voice reloads the voice and its dictionary (2–10 ms); skip it when nothing changes. */
let currentVoice = '';

function synthesize(seq: number, job: WasmSynthesisJob): void {
  if (job.voice !== currentVoice) {
    if (espeak.set_voice(job.voice) !== 0) {
      currentVoice = '';
      send({ type: 'failed', seq, message: `espeak has no voice ${job.voice}`, voiceNotFound: true });
      return;
    }
    currentVoice = job.voice;
  }
  espeak.set_rate(job.rate);
  espeak.set_pitch(job.pitch);
  const chunks: Int16Array[] = [];
  const marks: Array<[string, number]> = [];
  const wordStartsMs: number[] = [];
  let length = 0;
  let aborted = false;
  espeak.synthesize(job.input, (samples, events) => {
    if (samples.length > 0) {
      chunks.push(samples);
      length += samples.length;
    }
    if (job.collectEvents) {
      for (const event of events) {
        if (event.type === 'mark') marks.push([String(event.id), event.audio_position]);
        else if (event.type === 'word') wordStartsMs.push(event.audio_position);
      }
    }
    // Called every few ms of work: the abort reaches a running synthesis this way.
    aborted = Atomics.load(abortFlag, 0) === seq;
    // Past maxSamples the rest is not wanted: stop, and return what was made.
    return aborted || (job.maxSamples !== undefined && length > job.maxSamples);
  });
  const samples = new Int16Array(aborted ? 0 : length);
  if (!aborted) {
    let offset = 0;
    for (const chunk of chunks) {
      samples.set(chunk, offset);
      offset += chunk.length;
    }
  }
  send({ type: 'done', seq, samples, marks, wordStartsMs, aborted }, [samples.buffer]);
}

port.on('message', (message: ToWorker) => {
  try {
    synthesize(message.seq, message.job);
  } catch (error) {
    // An exception out of the module (e.g. an Emscripten abort) leaves it in an unknown
    // state: report it, then exit so the pool replaces this worker with a fresh instance.
    send({ type: 'failed', seq: message.seq, message: String(error), voiceNotFound: false });
    process.exit(1);
  }
});
