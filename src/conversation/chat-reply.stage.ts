import { Injectable } from '@nestjs/common';
import { MeteringService } from '../accounts/metering.service.js';
import { AppError } from '../common/app-error.js';
import { type ChatChainOutcome, ChatEngineChain } from '../engines/chat-engine-chain.js';
import type { ChatTurn } from '../engines/ports/chat-engine.js';
import type { AsyncChannel } from './async-channel.js';
import { SentenceSplitter } from './sentence-splitter.js';

export interface WrittenReply {
  outcome: ChatChainOutcome;
  ms: number;
}

/**
 * The chat stage: the history through the chat engine chain as a stream. Every delta goes
 * to `onDelta` as it arrives, and every sentence to `sentences` as soon as it is complete,
 * so the TTS stage can speak it while the engine is still writing. The channel is closed
 * after the last sentence, or failed with the chain's error. The engine's tokens are
 * recorded in usage_logs (MeteringService.recordChat), a failure with its error code.
 */
@Injectable()
export class ChatReplyStage {
  constructor(
    private readonly chain: ChatEngineChain,
    private readonly metering: MeteringService,
  ) {}

  async write(
    history: readonly ChatTurn[],
    model: string | undefined,
    sentences: AsyncChannel<string>,
    onDelta: (delta: string, engine: string) => void,
    signal: AbortSignal,
  ): Promise<WrittenReply> {
    const started = performance.now();
    const splitter = new SentenceSplitter();
    const textLength = history.at(-1)?.content.length;
    let engine: string | undefined;
    try {
      const stream = this.chain.stream({ history }, { model, signal });
      let next = await stream.next();
      while (!next.done) {
        engine = next.value.engine;
        onDelta(next.value.delta, next.value.engine);
        for (const sentence of splitter.push(next.value.delta)) sentences.push(sentence);
        next = await stream.next();
      }
      const rest = splitter.flush();
      if (rest) sentences.push(rest);
      sentences.close();
      const outcome = next.value;
      const ms = Math.round(performance.now() - started);
      await this.metering.recordChat({
        engine: outcome.engine,
        ...(model !== undefined ? { model } : {}),
        ...(outcome.reply.usage ? { usage: outcome.reply.usage } : {}),
        status: 'success',
        latencyMs: ms,
        ...(textLength !== undefined ? { textLength } : {}),
      });
      return { outcome, ms };
    } catch (error) {
      sentences.fail(error);
      await this.metering.recordChat({
        engine: engine ?? this.firstEngine(model),
        ...(model !== undefined ? { model } : {}),
        status: 'error',
        errorCode: error instanceof AppError ? error.code : 'INTERNAL_ERROR',
        latencyMs: Math.round(performance.now() - started),
        ...(textLength !== undefined ? { textLength } : {}),
      });
      throw error;
    }
  }

  /** The engine a failed turn was meant for (the chain's first), for its usage row. */
  private firstEngine(model: string | undefined): string {
    try {
      return this.chain.resolve(model)[0] ?? 'none';
    } catch {
      return 'none';
    }
  }
}
