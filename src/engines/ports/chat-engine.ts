import type { EngineHealth } from './engine-health.js';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Tokens an engine reports for one reply (remote LLMs); absent when it counts none. */
export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What one engine answered to one turn. */
export interface ChatReply {
  text: string;
  /**
   * False when the engine did not understand the input and `text` is its configured
   * fallback reply (the intents engine): the chain may then ask the next engine.
   * Absent or true otherwise.
   */
  understood?: boolean;
  /** The intent recognised (intents engine), so a client can act on it. */
  intent?: string;
  /** The slot values of that intent, e.g. { area: "kitchen" }. */
  slots?: Readonly<Record<string, string>>;
  usage?: ChatUsage;
}

/** One turn to answer: the history ends with the user's turn. */
export interface ChatRequest {
  history: readonly ChatTurn[];
  /** Sampling temperature 0–2 when the client sets one; engines may ignore it. */
  temperature?: number;
  /** Longest reply in tokens when the client sets one; engines may ignore it. */
  maxTokens?: number;
}

/** An engine's kind is its factory's (`EngineFactory.kind`), declared once. */
export interface ChatCapabilities {
  models: readonly string[];
}

/**
 * The port every conversation (LLM) adapter implements (same rules as TtsEngine: honour
 * the AbortSignal, throw EngineError, no global state).
 */
export interface ChatEngine {
  readonly id: string;
  readonly type: string;
  capabilities(): ChatCapabilities;
  /** The whole reply at once. */
  reply(request: ChatRequest, signal: AbortSignal): Promise<ChatReply>;
  /**
   * The reply as it is written: yields text deltas in order (joined they are the reply's
   * text) and returns the whole reply. An engine that cannot stream yields its text once.
   */
  stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<string, ChatReply, void>;
  /**
   * Engines that understand a closed set of sentences (intents) give the JSGF grammar that
   * recognises exactly those sentences: speech for them is recognised with it. Open
   * engines (LLMs) leave it out.
   */
  recognitionGrammar?(): string;
  health(): Promise<EngineHealth>;
  dispose(): Promise<void>;
}
