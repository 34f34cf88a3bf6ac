import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type TurnRole = 'user' | 'assistant';

/** One message of a conversation: what the user said or typed, or what the assistant answered. */
@Entity({ name: 'conversation_turns' })
export class ConversationTurnEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'uuid', name: 'conversation_id' })
  conversationId!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: TurnRole;

  @Column({ type: 'text' })
  text!: string;

  /** The STT engine that transcribed a spoken user turn. */
  @Column({ type: 'varchar', length: 64, name: 'stt_engine', nullable: true })
  sttEngine!: string | null;

  /** The chat engine that wrote an assistant turn. */
  @Column({ type: 'varchar', length: 64, name: 'chat_engine', nullable: true })
  chatEngine!: string | null;

  /** The TTS engine that spoke an assistant turn. */
  @Column({ type: 'varchar', length: 64, name: 'tts_engine', nullable: true })
  ttsEngine!: string | null;

  /** Seconds of speech: transcribed (user) or synthesised (assistant); null for typed turns. */
  @Column({ type: 'real', name: 'audio_seconds', nullable: true })
  audioSeconds!: number | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  intent!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  slots!: Record<string, string> | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;
}
