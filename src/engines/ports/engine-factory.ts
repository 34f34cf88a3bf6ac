import type { Logger } from 'pino';
import type { ClipResampler } from './audio-clip.js';
import type { EngineKind } from './engine-health.js';

/** What a factory gets from config.yaml's `engines:` entry. */
export interface EngineDefinition {
  id: string;
  /** Adapter settings exactly as written under `options:`. */
  options: Readonly<Record<string, unknown>>;
}

export interface EngineContext {
  logger: Logger;
  /** Absolute folders the gateway manages, for adapters that read voices or references. */
  folders: { referenceAudio: string; voices: string; outputs: string };
  /** config.yaml's folder: relative paths in options resolve against it (absent: the working directory). */
  configDir?: string;
  /** Converts a clip to another rate, for engines whose voices have different rates. */
  resample: ClipResampler;
}

/** Thrown by a factory when `options:` are wrong; the message names the option. */
export class EngineOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineOptionsError';
  }
}

/**
 * One per adapter type: turns a config entry into an engine. Registering an adapter is
 * one line in the registry's list of factories.
 */
export interface EngineFactory<TEngine> {
  /** The `type:` value in config.yaml. */
  readonly type: string;
  readonly kind: EngineKind;
  create(definition: EngineDefinition, context: EngineContext): TEngine;
}
