import { Module } from '@nestjs/common';
import { SttModule } from '../stt/stt.module.js';
import { TtsModule } from '../tts/tts.module.js';
import { OpenAiSpeechController } from './openai-speech.controller.js';
import { OpenAiTranscriptionController } from './openai-transcription.controller.js';

@Module({
  imports: [TtsModule, SttModule],
  controllers: [OpenAiSpeechController, OpenAiTranscriptionController],
})
export class OpenAiModule {}
