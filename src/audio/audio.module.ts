import { Module } from '@nestjs/common';
import { AudioTranscoder } from './audio-transcoder.js';

/** One AudioTranscoder (one located ffmpeg, one process limit) for the whole app. */
@Module({
  providers: [{ provide: AudioTranscoder, useFactory: () => AudioTranscoder.create() }],
  exports: [AudioTranscoder],
})
export class AudioModule {}
