import type { EngineHealth } from '../../ports/engine-health.js';
import type { DecodedUtterance } from './pocketsphinx-output.js';

/** One decode: 16 kHz mono s16le in `input`; a JSGF grammar file replaces the language model. */
export interface DecodeJob {
  input: string;
  jsgf?: string;
  /** A private folder for the decoder's own files; removed by the caller. */
  folder: string;
}

/**
 * How the adapter runs pocketsphinx. Both give identical results for identical audio
 * (every decode starts from the freshly loaded model): `process` starts
 * pocketsphinx_continuous per request; `warm` keeps the model loaded in one server and
 * forks a decoder per request. Errors are EngineErrors: a grammar problem is
 * `invalid_input` (naming the word), a missing program or model `unavailable`, a crash
 * `failed`, an abort `aborted` (the decoding process is killed).
 */
export interface PocketsphinxDecoder {
  readonly mode: 'warm' | 'process';
  decode(job: DecodeJob, signal: AbortSignal): Promise<DecodedUtterance[]>;
  probe(): Promise<EngineHealth>;
  dispose(): void;
}
