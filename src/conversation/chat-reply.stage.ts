import { Injectable } from '@nestjs/common';
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
 * after the last sentence, or failed with the chain's error.
 */
@Injectable()
export class ChatReplyStage {
  constructor(private readonly chain: ChatEngineChain) {}

  async write(
    history: readonly ChatTurn[],
    model: string | undefined,
    sentences: AsyncChannel<string>,
    onDelta: (delta: string, engine: string) => void,
    signal: AbortSignal,
  ): Promise<WrittenReply> {
    const started = performance.now();
    const splitter = new SentenceSplitter();
    try {
      const stream = this.chain.stream({ history }, { model, signal });
      let next = await stream.next();
      while (!next.done) {
        onDelta(next.value.delta, next.value.engine);
        for (const sentence of splitter.push(next.value.delta)) sentences.push(sentence);
        next = await stream.next();
      }
      const rest = splitter.flush();
      if (rest) sentences.push(rest);
      sentences.close();
      return { outcome: next.value, ms: Math.round(performance.now() - started) };
    } catch (error) {
      sentences.fail(error);
      throw error;
    }
  }
}
