import type { EspeakVoiceInfo } from './espeak-voice-catalog.js';

/** What the pool passes to a worker at start (workerData). */
export interface WasmWorkerData {
  /**
   * Int32[1] shared with the pool: the sequence number of the request to abort. The worker's
   * synthesis is one synchronous call that blocks its event loop, so a message could not
   * arrive mid-synthesis; the audio callback reads this flag instead.
   */
  abortFlag: SharedArrayBuffer;
}

export interface WasmSynthesisJob {
  /** SSML for espeak (plain text arrives already escaped). */
  input: string;
  /** espeak identifier, e.g. gmw/en-US. */
  voice: string;
  rate: number;
  pitch: number;
  /** Return marks and word events (needed for word timings only). */
  collectEvents: boolean;
  /** Stop once the clip has more samples than this (the caller wants no more). */
  maxSamples?: number;
}

export type ToWorker = { type: 'synthesize'; seq: number; job: WasmSynthesisJob };

export type FromWorker =
  | { type: 'ready'; sampleRate: number; voices: EspeakVoiceInfo[] }
  | { type: 'startup-failed'; message: string }
  | {
      type: 'done';
      seq: number;
      /** Its buffer is transferred, not copied. */
      samples: Int16Array;
      marks: Array<[name: string, ms: number]>;
      wordStartsMs: number[];
      aborted: boolean;
    }
  | { type: 'failed'; seq: number; message: string; voiceNotFound: boolean };
