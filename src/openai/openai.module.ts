import { Module } from '@nestjs/common';
import { TtsModule } from '../tts/tts.module.js';
import { OpenAiSpeechController } from './openai-speech.controller.js';

@Module({ imports: [TtsModule], controllers: [OpenAiSpeechController] })
export class OpenAiModule {}
