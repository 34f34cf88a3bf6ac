import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface TtsStatisticsRow {
  engine: string;
  voice: string;
  requests: number;
  successes: number;
  failures: number;
  audio_seconds: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

/** Routes whose analytics rows are speech synthesis. */
const TTS_ROUTES = ['/tts', '/v1/tts', '/v1/audio/speech'];

/** TTS usage read from the analytics table (kept for middleware.analytics.retention_days). */
@Injectable()
export class TtsStatisticsService {
  constructor(private readonly dataSource: DataSource) {}

  async perVoiceAndEngine(): Promise<TtsStatisticsRow[]> {
    const rows = await this.dataSource.query<
      Array<{
        engine: string;
        voice: string;
        requests: string;
        successes: string;
        failures: string;
        audio_seconds: number | null;
        p50: number | null;
        p95: number | null;
      }>
    >(
      `SELECT engine, voice,
              count(*) AS requests,
              count(*) FILTER (WHERE status_code < 400) AS successes,
              count(*) FILTER (WHERE status_code >= 400) AS failures,
              coalesce(sum(audio_seconds) FILTER (WHERE status_code < 400), 0) AS audio_seconds,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95
         FROM analytics_events
        WHERE route = ANY($1) AND engine IS NOT NULL AND voice IS NOT NULL
        GROUP BY engine, voice
        ORDER BY engine, voice`,
      [TTS_ROUTES],
    );
    return rows.map((row) => ({
      engine: row.engine,
      voice: row.voice,
      requests: Number(row.requests),
      successes: Number(row.successes),
      failures: Number(row.failures),
      audio_seconds: Math.round(Number(row.audio_seconds) * 1000) / 1000,
      latency_p50_ms: row.p50 === null ? null : Math.round(Number(row.p50)),
      latency_p95_ms: row.p95 === null ? null : Math.round(Number(row.p95)),
    }));
  }
}
