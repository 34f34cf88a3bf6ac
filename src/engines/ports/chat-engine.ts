import type { EngineHealth, EngineKind } from './engine-health.js';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatCapabilities {
  kind: EngineKind;
  models: readonly string[];
}

/** The port every conversation (LLM) adapter implements (same rules as TtsEngine). */
export interface ChatEngine {
  readonly id: string;
  readonly type: string;
  capabilities(): ChatCapabilities;
  reply(history: readonly ChatTurn[], signal: AbortSignal): Promise<string>;
  health(): Promise<EngineHealth>;
  dispose(): Promise<void>;
}
