import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface WebhookDelivery {
  id: number;
  webhook_id: string;
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: string;
}

/** Per-user signing secrets and the log of delivery attempts. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  async setSecret(userId: number, secret: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO webhook_secrets (user_id, secret) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = now()`,
      [userId, secret],
    );
  }

  async secretOf(userId: number): Promise<string | undefined> {
    const rows = await this.dataSource.query<Array<{ secret: string }>>(
      `SELECT secret FROM webhook_secrets WHERE user_id = $1`,
      [userId],
    );
    return rows[0]?.secret;
  }

  async logAttempt(entry: {
    jobId: string;
    webhookId: string;
    attempt: number;
    url: string;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
  }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO webhook_deliveries (job_id, webhook_id, attempt, url, status_code, error, duration_ms)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)`,
      [
        entry.jobId,
        entry.webhookId,
        entry.attempt,
        entry.url.slice(0, 2000),
        entry.statusCode,
        entry.error?.slice(0, 500) ?? null,
        Math.round(entry.durationMs),
      ],
    );
  }

  async deliveriesOf(jobId: string): Promise<WebhookDelivery[]> {
    const rows = await this.dataSource.query<
      Array<Omit<WebhookDelivery, 'created_at' | 'id'> & { id: string; created_at: Date }>
    >(
      `SELECT id, webhook_id, attempt, url, status_code, error, duration_ms, created_at
         FROM webhook_deliveries WHERE job_id = $1::uuid ORDER BY id`,
      [jobId],
    );
    return rows.map((row) => ({ ...row, id: Number(row.id), created_at: row.created_at.toISOString() }));
  }
}
