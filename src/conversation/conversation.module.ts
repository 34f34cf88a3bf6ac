import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module.js';
import { EnginesModule } from '../engines/engines.module.js';
import { SttModule } from '../stt/stt.module.js';
import { TtsModule } from '../tts/tts.module.js';
import { ChatReplyStage } from './chat-reply.stage.js';
import { ConversationHistoryService } from './conversation-history.service.js';
import { ConversationRetentionService } from './conversation-retention.service.js';
import { ConversationTurnService } from './conversation-turn.service.js';
import { ConversationController } from './conversation.controller.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsRepository } from './conversations.repository.js';
import { ReplyAudioEncoder } from './reply-audio.encoder.js';
import { ReplySpeechStage } from './reply-speech.stage.js';
import { SpeechRecognitionStage } from './speech-recognition.stage.js';
import { TurnInputReceiver } from './turn-input.receiver.js';

/** POST /conversation (spoken and typed turns) and the conversation history routes. */
@Module({
  imports: [AudioModule, EnginesModule, SttModule, TtsModule],
  controllers: [ConversationController, ConversationsController],
  providers: [
    ConversationsRepository,
    ConversationHistoryService,
    ConversationRetentionService,
    ConversationTurnService,
    TurnInputReceiver,
    SpeechRecognitionStage,
    ChatReplyStage,
    ReplySpeechStage,
    ReplyAudioEncoder,
  ],
})
export class ConversationModule {}
