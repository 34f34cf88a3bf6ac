import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { plainToInstance } from 'class-transformer';
import pino from 'pino';
import { AppError } from '../common/app-error.js';
import { RequestContextStore } from '../common/request-context.js';
import { AppConfig, type EngineEntryConfig } from '../config/config.schema.js';
import type { ConfigService } from '../config/config.service.js';
import type { GatewayRuntimeInfo } from '../gateway-runtime-info.js';
import { type ChatChainOutcome, ChatEngineChain } from './chat-engine-chain.js';
import { EngineRegistry } from './engine-registry.js';
import type { ChatCapabilities, ChatEngine, ChatReply, ChatRequest } from './ports/chat-engine.js';
import { abortedError, EngineError, type EngineErrorKind } from './ports/engine-error.js';
import type { EngineHealth } from './ports/engine-health.js';
import { ResilientChatEngine } from './resilience/resilient-chat-engine.js';

/** What one in-test engine does when asked. */
interface Script {
  /** The reply's text, streamed one word per delta. Default: "<id> answers". */
  text?: string;
  understood?: boolean;
  /** Fails with this kind (after `deltasBeforeFailure` deltas when streaming). */
  fail?: EngineErrorKind;
  deltasBeforeFailure?: number;
  /** Waits for the abort after the first delta (streams) or at once (replies). */
  hang?: boolean;
  /** A closed-set engine: has a recognition grammar. */
  grammar?: string;
  models?: string[];
}

const scripts = new Map<string, Script>();
/** Engine ids in the order they were asked, and the ones that saw their signal abort. */
const asked: string[] = [];
const sawAbort: string[] = [];

function untilAborted(signal: AbortSignal, id: string): Promise<never> {
  return new Promise((_, reject) => {
    const stop = (): void => {
      sawAbort.push(id);
      reject(abortedError(id));
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

/** A chat engine doing what its script says: enough to drive the chain through every path. */
class ScriptedChatEngine implements ChatEngine {
  readonly recognitionGrammar?: () => string;

  constructor(
    readonly id: string,
    readonly type: string,
  ) {
    const grammar = scripts.get(id)?.grammar;
    if (grammar) this.recognitionGrammar = () => grammar;
  }

  private get script(): Script {
    return scripts.get(this.id) ?? {};
  }

  capabilities(): ChatCapabilities {
    return { models: this.script.models ?? [] };
  }

  private finalReply(): ChatReply {
    const { text = `${this.id} answers`, understood } = this.script;
    return { text, ...(understood === undefined ? {} : { understood }) };
  }

  async reply(_request: ChatRequest, signal: AbortSignal): Promise<ChatReply> {
    asked.push(this.id);
    const { fail, hang } = this.script;
    if (hang) await untilAborted(signal, this.id);
    await Promise.resolve();
    if (fail) throw new EngineError(fail, `${this.id} failed (${fail})`, this.id);
    return this.finalReply();
  }

  async *stream(_request: ChatRequest, signal: AbortSignal): AsyncGenerator<string, ChatReply, void> {
    asked.push(this.id);
    const { fail, deltasBeforeFailure = 0, hang } = this.script;
    const reply = this.finalReply();
    const words = reply.text.split(' ').map((word, index) => (index === 0 ? word : ` ${word}`));
    for (const [index, word] of words.entries()) {
      await Promise.resolve();
      if (fail && index === deltasBeforeFailure) throw new EngineError(fail, `${this.id} failed`, this.id);
      yield word;
      if (hang) await untilAborted(signal, this.id);
    }
    return reply;
  }

  health(): Promise<EngineHealth> {
    return Promise.resolve({ available: true });
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}

const silent = pino({ level: 'silent' });

/** The registry of ChatEngineRegistry with in-test engines for the `openai` and `intents` types. */
class ScriptedChatRegistry extends EngineRegistry<ChatEngine> {
  constructor(config: ConfigService) {
    super(
      {
        section: 'chat',
        label: 'chat',
        factories: ['openai', 'intents'].map((type) => ({
          type,
          kind: 'remote' as const,
          create: ({ id }: { id: string }) => new ScriptedChatEngine(id, type),
        })),
        wrap: (engine, resilience, logger) => new ResilientChatEngine(engine, resilience, { logger }),
      },
      config,
      silent,
      { folders: { referenceAudio: '', voices: '', outputs: '' } } as GatewayRuntimeInfo,
    );
  }
}

type Entry = Partial<EngineEntryConfig> & { id: string };

/**
 * A chain over engines.chat `entries` (scripted engines standing in for the adapters, built
 * without the loader). The chain and the registry read only `current`, `configPath` and
 * `onChange` of the ConfigService.
 */
function chainOf(
  entries: Entry[],
  options: {
    fallbackToAdapters?: boolean;
    chatModels?: Record<string, string>;
    timeoutSeconds?: number;
  } = {},
): { chain: ChatEngineChain; registry: ScriptedChatRegistry } {
  const config = plainToInstance(AppConfig, {});
  config.engines.chat = entries.map((entry) => ({
    type: 'openai',
    enabled: true,
    priority: 0,
    options: {},
    ...entry,
  }));
  config.routers.core.conversation.fallbackToAdapters = options.fallbackToAdapters ?? false;
  config.openai.chatModels = options.chatModels ?? {};
  config.resilience.retry.maxAttempts = 1;
  config.resilience.timeoutSeconds = options.timeoutSeconds ?? 5;
  // Only `current`, `configPath` and `onChange` are read (see above).
  const service = {
    current: config,
    configPath: 'config/config.yaml',
    onChange: () => () => undefined,
  } as unknown as ConfigService;
  const registry = new ScriptedChatRegistry(service);
  registry.onModuleInit();
  live.push(registry);
  return { chain: new ChatEngineChain(service, registry, silent), registry };
}

const live: ScriptedChatRegistry[] = [];
const request: ChatRequest = { history: [{ role: 'user', content: 'turn on the kitchen light' }] };
const never = new AbortController().signal;

async function drain(
  stream: AsyncGenerator<{ engine: string; delta: string }, ChatChainOutcome, void>,
  deltas: Array<{ engine: string; delta: string }> = [],
): Promise<{ deltas: Array<{ engine: string; delta: string }>; outcome: ChatChainOutcome }> {
  for (;;) {
    const next = await stream.next();
    if (next.done) return { deltas, outcome: next.value };
    deltas.push(next.value);
  }
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<AppError> {
  let caught: AppError | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    caught = error;
    return true;
  });
  assert.ok(caught);
  return caught;
}

afterEach(async () => {
  scripts.clear();
  asked.length = 0;
  sawAbort.length = 0;
  await Promise.all(live.splice(0).map((registry) => registry.onApplicationShutdown()));
});

void describe('ChatEngineChain.resolve', () => {
  void it('orders every engine by priority, each followed by its own fallback chain', () => {
    const { chain } = chainOf([
      { id: 'b', priority: 2 },
      { id: 'a', priority: 1, fallback: ['c'] },
      { id: 'c', priority: 3 },
    ]);
    assert.deepEqual(chain.resolve(), ['a', 'c', 'b']);
  });

  void it('resolves an engine id, an openai.chat_models name and a model an engine lists to that engine’s chain', () => {
    scripts.set('local', { models: ['llama-3.1-8b'] });
    const { chain } = chainOf(
      [
        { id: 'cloud', fallback: ['local'] },
        { id: 'local', priority: 1 },
      ],
      { chatModels: { 'gpt-4o': 'cloud' } },
    );
    assert.deepEqual(chain.resolve('cloud'), ['cloud', 'local']);
    assert.deepEqual(chain.resolve('local'), ['local']);
    assert.deepEqual(chain.resolve('gpt-4o'), ['cloud', 'local']);
    assert.deepEqual(chain.resolve('llama-3.1-8b'), ['local']);
  });

  void it('refuses an unknown model naming the field, and answers 503 with Retry-After when none is configured', () => {
    const { chain } = chainOf([{ id: 'cloud' }]);
    assert.throws(
      () => chain.resolve('gpt-9'),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'VALIDATION_FAILED' &&
        JSON.stringify(error.details).includes('"field":"model"'),
    );
    const { chain: empty } = chainOf([]);
    assert.throws(
      () => empty.resolve(),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'ENGINE_UNAVAILABLE' &&
        error.headers?.['Retry-After'] === '30',
    );
  });

  void it('appends the intents engines only when fallback_to_adapters is on', () => {
    const entries: Entry[] = [
      { id: 'home', type: 'intents', priority: 5 },
      { id: 'cloud', priority: 1 },
      { id: 'spare', priority: 2 },
    ];
    assert.deepEqual(chainOf(entries, { fallbackToAdapters: true }).chain.resolve('cloud'), [
      'cloud',
      'home',
    ]);
    assert.deepEqual(chainOf(entries, { fallbackToAdapters: false }).chain.resolve('cloud'), ['cloud']);
    assert.deepEqual(chainOf(entries, { fallbackToAdapters: true }).chain.resolve(), [
      'cloud',
      'spare',
      'home',
    ]);
  });
});

void describe('ChatEngineChain.reply', () => {
  void it('falls over an engine fault and an unavailable engine, naming them in skipped', async () => {
    scripts.set('cloud', { fail: 'transient' });
    const { chain } = chainOf([
      { id: 'off', enabled: false },
      { id: 'cloud', priority: 1 },
      { id: 'local', priority: 2 },
    ]);
    const context = { requestId: 'r', startedAt: 0n } as {
      requestId: string;
      startedAt: bigint;
      engine?: string;
    };
    const outcome = await RequestContextStore.run(context, () => chain.reply(request, { signal: never }));
    assert.deepEqual(outcome, {
      reply: { text: 'local answers' },
      engine: 'local',
      skipped: ['off', 'cloud'],
    });
    assert.equal(context.engine, 'local');
  });

  void it('asks the next engine when one did not understand, and returns the last one’s reply even then', async () => {
    scripts.set('home', { understood: false, text: 'Sorry?' });
    const { chain } = chainOf([
      { id: 'home', type: 'intents' },
      { id: 'cloud', priority: 1 },
    ]);
    assert.deepEqual(await chain.reply(request, { signal: never }), {
      reply: { text: 'cloud answers' },
      engine: 'cloud',
      skipped: ['home'],
    });
    scripts.set('cloud', { understood: false, text: 'No idea.' });
    const last = await chain.reply(request, { signal: never });
    assert.equal(last.engine, 'cloud');
    assert.equal(last.reply.understood, false);
  });

  void it('answers with the not-understood reply when every later engine fails', async () => {
    scripts.set('home', { understood: false, text: 'Sorry?' });
    scripts.set('cloud', { fail: 'unavailable' });
    const { chain } = chainOf([
      { id: 'home', type: 'intents' },
      { id: 'cloud', priority: 1 },
    ]);
    const outcome = await chain.reply(request, { signal: never });
    assert.deepEqual(outcome, { reply: { text: 'Sorry?', understood: false }, engine: 'home', skipped: [] });
  });

  void it('lets a failing remote engine fall back to the intents engine with fallback_to_adapters', async () => {
    scripts.set('cloud', { fail: 'failed' });
    const entries: Entry[] = [{ id: 'cloud' }, { id: 'home', type: 'intents', priority: 9 }];
    const on = chainOf(entries, { fallbackToAdapters: true }).chain;
    assert.equal((await on.reply(request, { model: 'cloud', signal: never })).engine, 'home');
    const off = chainOf(entries, { fallbackToAdapters: false }).chain;
    await rejectsWithCode(off.reply(request, { model: 'cloud', signal: never }), 'ENGINE_FAILED');
  });

  void it('stops at a client error without asking another engine', async () => {
    scripts.set('cloud', { fail: 'invalid_input' });
    const { chain } = chainOf([{ id: 'cloud' }, { id: 'local', priority: 1 }]);
    await rejectsWithCode(chain.reply(request, { signal: never }), 'VALIDATION_FAILED');
    assert.deepEqual(asked, ['cloud']);
  });

  void it('answers the exhausted-chain error when every engine fails', async () => {
    scripts.set('a', { fail: 'transient' });
    scripts.set('b', { fail: 'failed' });
    const { chain } = chainOf([{ id: 'a' }, { id: 'b', priority: 1 }]);
    const error = await rejectsWithCode(chain.reply(request, { signal: never }), 'ENGINE_UNAVAILABLE');
    assert.match(error.message, /No chat engine can answer the conversation now/);
  });

  void it('stops the engine when the client leaves', async () => {
    scripts.set('cloud', { hang: true });
    const { chain } = chainOf([{ id: 'cloud' }, { id: 'local', priority: 1 }]);
    const controller = new AbortController();
    const pending = chain.reply(request, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await rejectsWithCode(pending, 'REQUEST_CANCELLED');
    assert.deepEqual(asked, ['cloud']);
    assert.deepEqual(sawAbort, ['cloud']);
  });
});

void describe('ChatEngineChain.stream', () => {
  void it('yields the deltas of the engine answering and returns its outcome', async () => {
    const { chain } = chainOf([{ id: 'cloud' }]);
    const { deltas, outcome } = await drain(chain.stream(request, { signal: never }));
    assert.deepEqual(deltas, [
      { engine: 'cloud', delta: 'cloud' },
      { engine: 'cloud', delta: ' answers' },
    ]);
    assert.deepEqual(outcome, { reply: { text: 'cloud answers' }, engine: 'cloud', skipped: [] });
  });

  void it('falls over to the next engine when one fails before its first delta', async () => {
    scripts.set('cloud', { fail: 'transient', deltasBeforeFailure: 0 });
    const { chain } = chainOf([{ id: 'cloud' }, { id: 'local', priority: 1 }]);
    const { deltas, outcome } = await drain(chain.stream(request, { signal: never }));
    assert.deepEqual(
      deltas.map((d) => d.engine),
      ['local', 'local'],
    );
    assert.deepEqual(outcome.skipped, ['cloud']);
  });

  void it('ends with an error when the engine fails after a delta, asking no other engine', async () => {
    scripts.set('cloud', { fail: 'transient', deltasBeforeFailure: 1 });
    const { chain } = chainOf([{ id: 'cloud' }, { id: 'local', priority: 1 }]);
    const deltas: Array<{ engine: string; delta: string }> = [];
    await rejectsWithCode(drain(chain.stream(request, { signal: never }), deltas), 'ENGINE_FAILED');
    assert.deepEqual(deltas, [{ engine: 'cloud', delta: 'cloud' }]);
    assert.deepEqual(asked, ['cloud']);
  });

  void it('holds back a closed-set engine’s deltas until it says it understood', async () => {
    scripts.set('home', { understood: false, text: 'Sorry?', grammar: '#JSGF V1.0;' });
    const { chain } = chainOf([
      { id: 'home', type: 'intents' },
      { id: 'cloud', priority: 1 },
    ]);
    const { deltas, outcome } = await drain(chain.stream(request, { signal: never }));
    assert.ok(deltas.every((d) => d.engine === 'cloud'));
    assert.deepEqual(outcome.skipped, ['home']);
    scripts.set('home', { text: 'Kitchen light on.', grammar: '#JSGF V1.0;' });
    const understood = await drain(chain.stream(request, { signal: never }));
    assert.equal(understood.deltas.map((d) => d.delta).join(''), 'Kitchen light on.');
    assert.equal(understood.outcome.engine, 'home');
  });

  void it('stops the engine when the client leaves mid-stream', async () => {
    scripts.set('cloud', { hang: true });
    const { chain } = chainOf([{ id: 'cloud' }, { id: 'local', priority: 1 }]);
    const controller = new AbortController();
    const stream = chain.stream(request, { signal: controller.signal });
    assert.deepEqual((await stream.next()).value, { engine: 'cloud', delta: 'cloud' });
    controller.abort();
    await rejectsWithCode(stream.next(), 'REQUEST_CANCELLED');
    assert.deepEqual(sawAbort, ['cloud']);
    assert.deepEqual(asked, ['cloud']);
  });

  void it('stops the engine when the consumer stops reading', async () => {
    scripts.set('cloud', { hang: true });
    const { chain, registry } = chainOf([{ id: 'cloud' }]);
    const stream = chain.stream(request, { signal: never });
    await stream.next();
    await stream.return({ reply: { text: '' }, engine: 'cloud', skipped: [] });
    assert.deepEqual(sawAbort, ['cloud']);
    assert.equal(registry.resilienceStats()[0]?.stats.aborts, 1);
  });
});

void describe('ChatEngineChain.recognitionGrammar', () => {
  void it('is the grammar of the engine that would serve first, when it has one', () => {
    scripts.set('home', { grammar: '#JSGF V1.0; grammar home;' });
    const { chain } = chainOf([
      { id: 'off', type: 'intents', enabled: false },
      { id: 'home', type: 'intents', priority: 1 },
      { id: 'cloud', priority: 2 },
    ]);
    assert.deepEqual(chain.recognitionGrammar(), { engine: 'home', grammar: '#JSGF V1.0; grammar home;' });
    assert.equal(chain.recognitionGrammar('cloud'), undefined);
  });
});

void describe('ResilientChatEngine.stream', () => {
  void it('bounds each silence, not the whole stream, by timeout_seconds', async () => {
    const slow: ChatEngine = Object.assign(new ScriptedChatEngine('slow', 'openai'), {
      async *stream(): AsyncGenerator<string, ChatReply, void> {
        for (let i = 0; i < 5; i++) {
          await new Promise((resolve) => setTimeout(resolve, 60));
          yield 'x';
        }
        return { text: 'xxxxx' };
      },
    });
    const settings = plainToInstance(AppConfig, {}).resilience;
    settings.timeoutSeconds = 0.15;
    settings.retry.maxAttempts = 1;
    const engine = new ResilientChatEngine(slow, settings);
    const deltas: string[] = [];
    for await (const delta of engine.stream(request, never)) deltas.push(delta);
    assert.equal(deltas.join(''), 'xxxxx');

    scripts.set('stall', { hang: true });
    const stalled = new ResilientChatEngine(new ScriptedChatEngine('stall', 'openai'), settings);
    const stream = stalled.stream(request, never);
    await stream.next();
    await assert.rejects(
      stream.next(),
      (error: unknown) => error instanceof EngineError && error.kind === 'transient',
    );
  });

  void it('retries a failure before the first delta, never after one', async () => {
    const settings = plainToInstance(AppConfig, {}).resilience;
    settings.retry.maxAttempts = 3;
    settings.retry.initialDelayMs = 1;
    let attempts = 0;
    const flaky: ChatEngine = Object.assign(new ScriptedChatEngine('flaky', 'openai'), {
      async *stream(): AsyncGenerator<string, ChatReply, void> {
        attempts++;
        await Promise.resolve();
        if (attempts === 1) throw new EngineError('transient', 'blip', 'flaky');
        yield 'ok';
        if (attempts === 2) throw new EngineError('transient', 'cut', 'flaky');
        return { text: 'ok' };
      },
    });
    const engine = new ResilientChatEngine(flaky, settings);
    const deltas: string[] = [];
    await assert.rejects(async () => {
      for await (const delta of engine.stream(request, never)) deltas.push(delta);
    }, /cut/);
    assert.equal(attempts, 2);
    assert.deepEqual(deltas, ['ok']);
    assert.equal(engine.stats().failures, 1);
  });
});
