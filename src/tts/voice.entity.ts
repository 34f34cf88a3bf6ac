import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { VoiceGender } from '../engines/ports/engine-health.js';

/** A voice clients can name: a friendly name mapped to one engine's voice. */
@Entity({ name: 'voices' })
export class VoiceEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 128, name: 'friendly_name', unique: true })
  friendlyName!: string;

  @Column({ type: 'varchar', length: 64 })
  engine!: string;

  @Column({ type: 'varchar', length: 128, name: 'engine_voice_id' })
  engineVoiceId!: string;

  @Column({ type: 'varchar', length: 35 })
  language!: string;

  @Column({ type: 'varchar', length: 16 })
  gender!: VoiceGender;

  @Column({ type: 'boolean', name: 'is_active', default: true })
  isActive!: boolean;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
