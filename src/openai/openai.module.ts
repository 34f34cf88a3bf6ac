import { Module } from '@nestjs/common';
import { EnginesModule } from '../engines/engines.module.js';
import { SttModule } from '../stt/stt.module.js';
import { TtsModule } from '../tts/tts.module.js';
import { OpenAiChatController } from './openai-chat.controller.js';
import { OpenAiChatService } from './openai-chat.service.js';
import { OpenAiSpeechController } from './openai-speech.controller.js';
import { OpenAiTranscriptionController } from './openai-transcription.controller.js';

@Module({
  imports: [TtsModule, SttModule, EnginesModule],
  controllers: [OpenAiSpeechController, OpenAiTranscriptionController, OpenAiChatController],
  providers: [OpenAiChatService],
})
export class OpenAiModule {}
