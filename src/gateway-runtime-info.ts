import type { EngineCallObserver } from './engines/resilience/engine-call-observer.js';

/** Facts fixed at start-up that providers may need (not part of the live config). */
export interface GatewayRuntimeInfo {
  version: string;
  databaseKind: 'postgres' | 'embedded';
  /** Absolute folders for reference_audio/, voices/ and outputs/. */
  folders: { referenceAudio: string; voices: string; outputs: string };
  /** Absolute folder for temporary files (uploads being received, decoder inputs). */
  tempDir: string;
  /** Where the first start writes the bootstrap admin key (mode 0600); default BOOTSTRAP_KEY_FILE in the working directory. */
  bootstrapKeyFile?: string;
  /**
   * Told the outcome of every engine call (the gateway's metrics). Every engine registry
   * hands it to the guards it builds, so each kind of engine is measured the same way.
   */
  engineCallObserver?: EngineCallObserver;
}
