import { Injectable } from '@nestjs/common';
import type { OutputFormat } from '../audio/audio-format.js';
import { samplesFromPcm } from '../audio/pcm.js';
import type { AudioClip } from '../engines/ports/audio-clip.js';
import { TtsService } from '../tts/tts.service.js';

/** One sentence of the reply, spoken. */
export interface SpokenSentence {
  index: number;
  text: string;
  clip: AudioClip;
  engine: string;
  voice: string;
  ms: number;
}

/**
 * The TTS stage: each sentence of the reply, in order, as soon as it is complete, through
 * TtsService (voice resolution, engine fallback, cache and metering as /tts). Sentences are
 * spoken one after the other, so sentence 1 is heard while the chat engine writes
 * sentence 2 and the turn uses one TTS engine slot at a time. The audio stays PCM here:
 * the encode stage makes the client's format.
 */
@Injectable()
export class ReplySpeechStage {
  constructor(private readonly tts: TtsService) {}

  async *speak(
    sentences: AsyncIterable<string>,
    voice: string | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<SpokenSentence> {
    let index = 0;
    for await (const text of sentences) {
      signal.throwIfAborted();
      const started = performance.now();
      const result = await this.tts.synthesize({ text, voice, format: 'pcm' satisfies OutputFormat }, signal);
      yield {
        index: index++,
        text,
        clip: { samples: samplesFromPcm(result.audio), sampleRate: result.sampleRate },
        engine: result.engine,
        voice: result.voice,
        ms: Math.round(performance.now() - started),
      };
    }
  }
}
