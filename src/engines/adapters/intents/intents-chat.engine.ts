import type { ChatCapabilities, ChatEngine, ChatReply, ChatRequest } from '../../ports/chat-engine.js';
import { abortedError, EngineError } from '../../ports/engine-error.js';
import type { EngineHealth } from '../../ports/engine-health.js';
import { IntentMatcher, type IntentMatch } from './intent-matcher.js';
import { intentsGrammar } from './intents-grammar.js';
import type { IntentsOptions } from './intents-options.js';
import { spokenDate, spokenTime } from './spoken-clock.js';

/**
 * A local chat engine for a closed set of sentences, like Home Assistant's local sentence
 * matching: the last user turn is matched against the intents' sentence templates and
 * answered with the intent's response, its slots filled in. Nothing leaves the process.
 * Unmatched input gets the configured no_match_reply with `understood: false`, so a chain
 * can ask the next engine. recognitionGrammar() lets the STT stage recognise exactly the
 * sentences it understands.
 */
export class IntentsChatEngine implements ChatEngine {
  readonly type = 'intents';
  private readonly matcher: IntentMatcher;
  private grammar?: string;
  private disposed = false;

  constructor(
    readonly id: string,
    private readonly options: IntentsOptions,
    /** The gateway's clock, for {time} and {date}. */
    private readonly now: () => Date = () => new Date(),
  ) {
    this.matcher = new IntentMatcher(options.catalog);
  }

  capabilities(): ChatCapabilities {
    return { models: this.options.models ?? [this.id] };
  }

  reply({ history }: ChatRequest, signal: AbortSignal): Promise<ChatReply> {
    // Matching is synchronous; an EngineError still arrives as a rejection.
    return new Promise((resolve) => resolve(this.answer(history, signal)));
  }

  async *stream(request: ChatRequest, signal: AbortSignal): AsyncGenerator<string, ChatReply, void> {
    const reply = await this.reply(request, signal);
    yield reply.text;
    return reply;
  }

  recognitionGrammar(): string {
    this.grammar ??= intentsGrammar(this.options.catalog);
    return this.grammar;
  }

  health(): Promise<EngineHealth> {
    return Promise.resolve(
      this.disposed ? { available: false, reason: 'The engine has been disposed.' } : { available: true },
    );
  }

  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }

  private answer(history: ChatRequest['history'], signal: AbortSignal): ChatReply {
    if (signal.aborted) throw abortedError(this.id);
    if (this.disposed) throw new EngineError('unavailable', `Engine ${this.id} has been disposed.`, this.id);
    const lastUser = history.findLast((turn) => turn.role === 'user');
    if (!lastUser || lastUser.content.trim() === '') {
      throw new EngineError('invalid_input', 'The conversation has no user turn to answer.', this.id);
    }
    const match = this.matcher.match(lastUser.content);
    if (!match) return { text: this.options.catalog.noMatchReply, understood: false };
    return {
      text: this.render(match),
      understood: true,
      intent: match.intent.name,
      slots: Object.fromEntries([...match.slots].map(([name, value]) => [name, value.value])),
    };
  }

  /** The response with {slot} as its value's spoken name and {time}/{date} from the clock. */
  private render({ intent, slots }: IntentMatch): string {
    const now = this.now();
    const { timeZone } = this.options;
    return intent.response
      .replace(/\{\s*([a-z0-9_]+)\s*\}/g, (_whole, name: string) => {
        if (slots.has(name)) return slots.get(name)?.spokenName ?? '';
        if (name === 'time') return spokenTime(now, timeZone);
        if (name === 'date') return spokenDate(now, timeZone);
        return '';
      })
      .replace(/\s{2,}/g, ' ')
      .trim();
  }
}
