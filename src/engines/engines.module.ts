import { Module } from '@nestjs/common';
import { ChatEngineChain } from './chat-engine-chain.js';
import { ChatEngineRegistry } from './chat-engine-registry.js';
import { SttEngineRegistry } from './stt-engine-registry.js';
import { TtsEngineRegistry } from './tts-engine-registry.js';

@Module({
  providers: [TtsEngineRegistry, SttEngineRegistry, ChatEngineRegistry, ChatEngineChain],
  exports: [TtsEngineRegistry, SttEngineRegistry, ChatEngineRegistry, ChatEngineChain],
})
export class EnginesModule {}
