import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One user's conversation with the chat engines; its turns are ConversationTurnEntity rows. */
@Entity({ name: 'conversations' })
export class ConversationEntity {
  /** A random UUID: ids are not guessable, and not a count of other users' conversations. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'integer', name: 'user_id' })
  userId!: number;

  /** The start of the first user turn, for listings. */
  @Column({ type: 'varchar', length: 120 })
  title!: string;

  @Column({ type: 'integer', name: 'turn_count', default: 0 })
  turnCount!: number;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  /** The last turn's time: retention_days counts from here. */
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
