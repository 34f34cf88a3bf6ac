import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { lazyResampler } from '../engine-resampler.js';
import type { EngineContext } from '../ports/engine-factory.js';

/** What a factory gets in specs: a silent logger and the OS temp dir for every folder. */
export const TEST_ENGINE_CONTEXT: EngineContext = {
  logger: pino({ level: 'silent' }),
  folders: { referenceAudio: tmpdir(), voices: tmpdir(), outputs: tmpdir() },
  resample: lazyResampler,
};
