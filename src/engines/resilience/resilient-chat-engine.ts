import type { ChatCapabilities, ChatEngine, ChatReply, ChatRequest } from '../ports/chat-engine.js';
import type { EngineHealth } from '../ports/engine-health.js';
import { DeltaChannel } from './delta-channel.js';
import { EngineCallGuard, type EngineCallGuardOptions } from './engine-call-guard.js';
import type { EngineResilienceStatsSnapshot } from './engine-resilience-stats.js';
import type { ResilienceSettings } from './resilience-policy.factory.js';

/**
 * A ChatEngine decorator that runs reply() and stream() through the engine's
 * EngineCallGuard (bulkhead → breaker → retry → timeout, with stats). Everything else
 * passes through.
 *
 * reply() gets `timeout_seconds` per attempt, like a synthesis. stream() holds its bulkhead
 * slot until the stream ends, and `timeout_seconds` bounds each silence instead of the
 * whole stream (time to the first delta, then every gap between deltas), so a long reply
 * that keeps coming is never cut. It is retried only while no delta has reached the
 * caller; after that a failure ends the stream with the engine's error.
 */
export class ResilientChatEngine implements ChatEngine {
  readonly id: string;
  readonly type: string;
  /** Present exactly when the inner engine has one (closed-set engines), so callers can tell. */
  readonly recognitionGrammar?: () => string;
  private readonly guard: EngineCallGuard;

  constructor(
    readonly inner: ChatEngine,
    settings: ResilienceSettings,
    options: Omit<EngineCallGuardOptions, 'callName'> = {},
  ) {
    this.id = inner.id;
    this.type = inner.type;
    this.guard = new EngineCallGuard(inner.id, settings, { ...options, callName: 'chat reply' });
    const grammarOf = inner.recognitionGrammar?.bind(inner);
    if (grammarOf) this.recognitionGrammar = grammarOf;
  }

  capabilities(): ChatCapabilities {
    return this.inner.capabilities();
  }

  health(): Promise<EngineHealth> {
    return this.guard.health(() => this.inner.health());
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  stats(): EngineResilienceStatsSnapshot {
    return this.guard.stats();
  }

  reply(request: ChatRequest, signal: AbortSignal): Promise<ChatReply> {
    return this.guard.run((attemptSignal) => this.inner.reply(request, attemptSignal), signal);
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<string, ChatReply, void> {
    // Stopping early (the consumer's return()) aborts the engine call like the caller leaving.
    const stop = new AbortController();
    const channel = new DeltaChannel<string, ChatReply>();
    const work = this.guard.runStreaming(
      async (attemptSignal, delivered) => {
        const deltas = this.inner.stream(request, attemptSignal);
        for (;;) {
          const next = await deltas.next();
          if (next.done) return next.value;
          if (next.value === '') continue;
          delivered();
          channel.push(next.value);
        }
      },
      AbortSignal.any([signal, stop.signal]),
    );
    work.then(
      (reply) => channel.end(reply),
      (error: unknown) => channel.fail(error),
    );
    let ended = false;
    try {
      for (;;) {
        const item = await channel.take();
        if (item.done) {
          ended = true;
          return item.value;
        }
        yield item.value;
      }
    } finally {
      if (!ended) stop.abort();
    }
  }
}
