import { Module } from '@nestjs/common';
import { ChatEngineChain } from './chat-engine-chain.js';
import { ChatEngineRegistry } from './chat-engine-registry.js';
import { AudioModule } from '../audio/audio.module.js';
import { SttEngineRegistry } from './stt-engine-registry.js';
import { TtsEngineRegistry } from './tts-engine-registry.js';

@Module({
  imports: [AudioModule],
  providers: [TtsEngineRegistry, SttEngineRegistry, ChatEngineRegistry, ChatEngineChain],
  exports: [TtsEngineRegistry, SttEngineRegistry, ChatEngineRegistry, ChatEngineChain],
})
export class EnginesModule {}
