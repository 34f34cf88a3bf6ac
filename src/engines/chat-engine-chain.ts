import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppError } from '../common/app-error.js';
import { ROOT_LOGGER } from '../common/injection-tokens.js';
import { RequestContextStore } from '../common/request-context.js';
import type { AppConfig, EngineEntryConfig } from '../config/config.schema.js';
import { ConfigService } from '../config/config.service.js';
import { fallbackChainOf } from '../config/engine-fallback.js';
import { ChatEngineRegistry } from './chat-engine-registry.js';
import { appErrorForEngine, type EngineErrorWording } from './engine-app-error.js';
import { engineChainExhausted, type EngineAttemptFailure } from './engine-chain-failure.js';
import type { EngineLease } from './engine-registry.js';
import type { ChatEngine, ChatReply, ChatRequest } from './ports/chat-engine.js';
import { abortedError, EngineError, isEngineFault } from './ports/engine-error.js';

/** What answered a turn. */
export interface ChatChainOutcome {
  reply: ChatReply;
  engine: string;
  /** ids tried before `engine` that failed, were unavailable or did not understand */
  skipped: string[];
}

export interface ChatChainOptions {
  /** An engine id, a model an engine lists, or a key of `openai.chat_models`; absent: every engine. */
  model?: string;
  /** The client leaving: stops the engine that is answering. */
  signal: AbortSignal;
}

/** The engine type whose engines `routers.core.conversation.fallback_to_adapters` appends. */
const LOCAL_FALLBACK_TYPE = 'intents';
const WORDING: EngineErrorWording & { label: string } = { label: 'chat', task: 'answer the conversation' };
const NO_ENGINE_RETRY_AFTER_SECONDS = '30';

/** A reply that said it did not understand, kept in case no later engine answers at all. */
interface NotUnderstood {
  outcome: ChatChainOutcome;
  deltas: string[];
}

/**
 * Answers a conversation turn with the first chat engine of a chain that can: the chain is
 * the engine(s) the request's `model` names, each followed by its `fallback:` chain, then
 * (with `routers.core.conversation.fallback_to_adapters`) the local `intents` engines. The
 * next engine serves when one is unavailable, fails (after its own retries), or answers
 * `understood: false`; a client error stops the chain. When every later engine fails, the
 * first not-understood reply is the answer (an intents engine's fallback sentence beats an
 * error).
 */
@Injectable()
export class ChatEngineChain {
  constructor(
    private readonly config: ConfigService,
    private readonly engines: ChatEngineRegistry,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The engine ids to try, in order. Unknown model → 400 VALIDATION_FAILED (field `model`);
   * no chat engine configured → 503 ENGINE_UNAVAILABLE with Retry-After.
   */
  resolve(model?: string): string[] {
    const config = this.config.current;
    const entries = config.engines.chat;
    if (entries.length === 0) {
      throw new AppError(
        'ENGINE_UNAVAILABLE',
        'No chat engine is configured on this server (engines.chat).',
        undefined,
        { 'Retry-After': NO_ENGINE_RETRY_AFTER_SECONDS },
      );
    }
    const chain = model === undefined ? everyEngine(entries) : this.chainOfModel(config, model);
    if (config.routers.core.conversation.fallbackToAdapters) {
      for (const entry of byPriority(entries)) {
        if (entry.type === LOCAL_FALLBACK_TYPE && !chain.includes(entry.id)) chain.push(entry.id);
      }
    }
    return chain;
  }

  async reply(request: ChatRequest, options: ChatChainOptions): Promise<ChatChainOutcome> {
    const { signal } = options;
    const chain = this.resolve(options.model);
    const failures: EngineAttemptFailure[] = [];
    const skipped: string[] = [];
    let notUnderstood: NotUnderstood | undefined;
    for (const [index, id] of chain.entries()) {
      if (signal.aborted) throw appErrorForEngine(abortedError(id), WORDING);
      const lease = this.engines.lease(id);
      if ('unavailable' in lease) {
        failures.push({ engine: id, error: lease.unavailable });
        skipped.push(id);
        continue;
      }
      try {
        markEngine(id);
        const reply = await lease.engine.reply(request, signal);
        const outcome = { reply, engine: id, skipped: [...skipped] };
        if (reply.understood === false && index < chain.length - 1) {
          notUnderstood ??= { outcome, deltas: [] };
          skipped.push(id);
          continue;
        }
        return outcome;
      } catch (error) {
        failures.push({ engine: id, error: this.faultOrThrow(error, id) });
        skipped.push(id);
      } finally {
        lease.release();
      }
    }
    if (notUnderstood) return this.settleOn(notUnderstood.outcome);
    throw engineChainExhausted(failures, WORDING);
  }

  /**
   * The reply as it is written: yields deltas tagged with the engine writing them, returns
   * the outcome. An engine failing before its first delta hands over to the next one; after
   * it, the stream ends with the engine's error (an AppError). A closed-set engine (one with
   * a recognition grammar) that is not last in the chain has its deltas held back until it
   * says whether it understood: its replies are instant, and a not-understood sentence
   * must not reach the client when another engine will answer.
   */
  async *stream(
    request: ChatRequest,
    options: ChatChainOptions,
  ): AsyncGenerator<{ engine: string; delta: string }, ChatChainOutcome, void> {
    const { signal } = options;
    const chain = this.resolve(options.model);
    const failures: EngineAttemptFailure[] = [];
    const skipped: string[] = [];
    let notUnderstood: NotUnderstood | undefined;
    for (const [index, id] of chain.entries()) {
      if (signal.aborted) throw appErrorForEngine(abortedError(id), WORDING);
      const lease = this.engines.lease(id);
      if ('unavailable' in lease) {
        failures.push({ engine: id, error: lease.unavailable });
        skipped.push(id);
        continue;
      }
      const last = index === chain.length - 1;
      const holdBack = !last && typeof lease.engine.recognitionGrammar === 'function';
      markEngine(id);
      const deltas = lease.engine.stream(request, signal);
      let finished = false;
      try {
        const held: string[] = [];
        let yielded = false;
        let reply: ChatReply | undefined;
        while (!reply) {
          let next: IteratorResult<string, ChatReply>;
          try {
            next = await deltas.next();
          } catch (error) {
            finished = true;
            if (yielded) throw this.afterDelta(error, id);
            failures.push({ engine: id, error: this.faultOrThrow(error, id) });
            skipped.push(id);
            break;
          }
          if (next.done) {
            finished = true;
            reply = next.value;
          } else if (holdBack) {
            held.push(next.value);
          } else {
            yielded = true;
            yield { engine: id, delta: next.value };
          }
        }
        if (!reply) continue;
        const outcome = { reply, engine: id, skipped: [...skipped] };
        if (reply.understood === false && !last && !yielded) {
          notUnderstood ??= { outcome, deltas: held };
          skipped.push(id);
          continue;
        }
        for (const delta of held) yield { engine: id, delta };
        return outcome;
      } finally {
        // Stopped mid-stream (the consumer's return() or an error): close the engine's stream.
        if (!finished) await deltas.return({ text: '' }).catch(() => undefined);
        lease.release();
      }
    }
    if (notUnderstood) {
      const { outcome, deltas } = notUnderstood;
      markEngine(outcome.engine);
      for (const delta of deltas) yield { engine: outcome.engine, delta };
      return outcome;
    }
    throw engineChainExhausted(failures, WORDING);
  }

  /**
   * The grammar speech for this turn should be recognised with: that of the engine that
   * would serve first (the first of resolve(model) that can be borrowed and whose breaker
   * is not open), when it is a closed-set engine. Same errors as resolve().
   */
  recognitionGrammar(model?: string): { engine: string; grammar: string } | undefined {
    const open = new Set(
      this.engines
        .resilienceStats()
        .filter(({ stats }) => stats.breaker.state === 'open')
        .map(({ id }) => id),
    );
    for (const id of this.resolve(model)) {
      if (open.has(id)) continue;
      const lease = this.engines.lease(id);
      if ('unavailable' in lease) continue;
      try {
        const engine = lease.engine;
        return engine.recognitionGrammar ? { engine: id, grammar: engine.recognitionGrammar() } : undefined;
      } finally {
        lease.release();
      }
    }
    return undefined;
  }

  /** A model name's chain: an engine id, then `openai.chat_models`, then the engines' own model lists. */
  private chainOfModel(config: AppConfig, model: string): string[] {
    const entries = config.engines.chat;
    if (entries.some((entry) => entry.id === model)) return fallbackChainOf(entries, model);
    const mapped = Object.hasOwn(config.openai.chatModels, model)
      ? config.openai.chatModels[model]
      : undefined;
    if (mapped !== undefined) return fallbackChainOf(entries, mapped);
    const serving = byPriority(entries).find((entry) => this.modelsOf(entry).includes(model));
    if (serving) return fallbackChainOf(entries, serving.id);
    const message = `No chat engine here answers model '${model}' (an engines.chat id, a model an engine lists, or a key of openai.chat_models).`;
    throw new AppError('VALIDATION_FAILED', message, { fields: [{ field: 'model', errors: [message] }] });
  }

  /** The models an engine reports; from its options when it is not built (disabled, failed). */
  private modelsOf(entry: EngineEntryConfig): readonly string[] {
    const lease: EngineLease<ChatEngine> | { unavailable: string } = this.engines.lease(entry.id);
    if (!('unavailable' in lease)) {
      try {
        return lease.engine.capabilities().models;
      } finally {
        lease.release();
      }
    }
    const { models, model } = entry.options;
    if (Array.isArray(models)) return models.filter((name): name is string => typeof name === 'string');
    return typeof model === 'string' ? [model] : [];
  }

  /** An engine's fault (the next engine may serve), or the client-facing error thrown at once. */
  private faultOrThrow(error: unknown, id: string): EngineError {
    if (!(error instanceof EngineError)) throw error;
    if (!isEngineFault(error)) throw appErrorForEngine(error, WORDING);
    this.logger.warn(
      { engine: id, kind: error.kind, err: error.message },
      'chat engine failed; trying the next one',
    );
    return error;
  }

  /** A failure once deltas reached the client: no other engine may take over. */
  private afterDelta(error: unknown, id: string): unknown {
    if (!(error instanceof EngineError)) return error;
    if (isEngineFault(error)) {
      this.logger.warn({ engine: id, kind: error.kind, err: error.message }, 'chat engine failed mid-stream');
    }
    return appErrorForEngine(error, WORDING);
  }

  private settleOn(outcome: ChatChainOutcome): ChatChainOutcome {
    markEngine(outcome.engine);
    return outcome;
  }
}

/** Every engine by priority, each followed by its own `fallback:` chain, each once. */
function everyEngine(entries: readonly EngineEntryConfig[]): string[] {
  const chain: string[] = [];
  for (const entry of byPriority(entries)) {
    for (const id of fallbackChainOf(entries, entry.id)) if (!chain.includes(id)) chain.push(id);
  }
  return chain;
}

/** Lower priority first, then the order in config.yaml (as the registry orders them). */
function byPriority(entries: readonly EngineEntryConfig[]): EngineEntryConfig[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.priority - b.entry.priority || a.index - b.index)
    .map(({ entry }) => entry);
}

/** Analytics and logs name the engine serving the request (the last one tried). */
function markEngine(id: string): void {
  const context = RequestContextStore.current();
  if (context) context.engine = id;
}
