import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module.js';
import { SttEngineRegistry } from './stt-engine-registry.js';
import { TtsEngineRegistry } from './tts-engine-registry.js';

@Module({
  imports: [AudioModule],
  providers: [TtsEngineRegistry, SttEngineRegistry],
  exports: [TtsEngineRegistry, SttEngineRegistry],
})
export class EnginesModule {}
