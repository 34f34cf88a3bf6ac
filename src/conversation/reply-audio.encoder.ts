import { Injectable } from '@nestjs/common';
import type { OutputFormat } from '../audio/audio-format.js';
import { AudioTranscoder } from '../audio/audio-transcoder.js';
import { joinClips } from '../audio/clip-joiner.js';
import { type AudioClip, clipDurationSeconds } from '../engines/ports/audio-clip.js';

export interface EncodedAudio {
  audio: Buffer;
  durationSeconds: number;
}

/**
 * The encode stage: spoken sentences into the client's format, one file per sentence (a
 * stream's audio.delta events, each playable alone) or the whole reply as one file, the
 * sentences joined as /tts joins its chunks.
 */
@Injectable()
export class ReplyAudioEncoder {
  constructor(private readonly transcoder: AudioTranscoder) {}

  async encodeSentence(clip: AudioClip, format: OutputFormat, signal: AbortSignal): Promise<EncodedAudio> {
    return {
      audio: await this.transcoder.encode(clip, format, {}, signal),
      durationSeconds: clipDurationSeconds(clip),
    };
  }

  async encodeReply(
    clips: readonly AudioClip[],
    format: OutputFormat,
    signal: AbortSignal,
  ): Promise<EncodedAudio> {
    if (clips.length === 0) return { audio: Buffer.alloc(0), durationSeconds: 0 };
    const joined = clips.length === 1 && clips[0] ? clips[0] : joinClips(clips);
    return {
      audio: await this.transcoder.encode(joined, format, {}, signal),
      durationSeconds: clipDurationSeconds(joined),
    };
  }
}
