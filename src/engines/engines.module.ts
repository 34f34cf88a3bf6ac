import { Module } from '@nestjs/common';
import { SttEngineRegistry } from './stt-engine-registry.js';
import { TtsEngineRegistry } from './tts-engine-registry.js';

@Module({
  providers: [TtsEngineRegistry, SttEngineRegistry],
  exports: [TtsEngineRegistry, SttEngineRegistry],
})
export class EnginesModule {}
