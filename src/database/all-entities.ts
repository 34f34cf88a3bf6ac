import { ConversationTurnEntity } from '../conversation/conversation-turn.entity.js';
import { ConversationEntity } from '../conversation/conversation.entity.js';
import { StoredFileEntity } from '../files/stored-file.entity.js';
import { AnalyticsEventEntity } from '../observability/analytics-event.entity.js';
import { VoiceEntity } from '../tts/voice.entity.js';

/** Every TypeORM entity; the data source registers exactly these. */
export const ALL_ENTITIES = [
  AnalyticsEventEntity,
  VoiceEntity,
  ConversationEntity,
  ConversationTurnEntity,
  StoredFileEntity,
];
