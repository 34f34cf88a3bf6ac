import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One answered request, as the analytics interceptor saw it. */
@Entity({ name: 'analytics_events' })
export class AnalyticsEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 128, name: 'request_id' })
  requestId!: string;

  @Column({ type: 'varchar', length: 10 })
  method!: string;

  /** The route pattern (e.g. /files/:kind), not the raw URL, so ids in paths do not leak. */
  @Column({ type: 'varchar', length: 200 })
  route!: string;

  @Column({ type: 'smallint', name: 'status_code' })
  statusCode!: number;

  @Column({ type: 'integer', name: 'latency_ms' })
  latencyMs!: number;

  @Column({ type: 'varchar', length: 128, nullable: true })
  principal!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  engine!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  voice!: string | null;

  /** Seconds of audio produced (TTS) or transcribed (STT); null for other routes. */
  @Column({ type: 'real', nullable: true, name: 'audio_seconds' })
  audioSeconds!: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true, name: 'error_code' })
  errorCode!: string | null;
}
