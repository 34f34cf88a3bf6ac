import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One event a client triggered, as Pusher's HTTP API received it. */
export interface TriggeredEvent {
  name: string;
  channels: string[];
  data: Record<string, unknown>;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * A local Pusher Channels HTTP API (https://pusher.com/docs/channels/library_auth_reference/rest-api/):
 * `POST /apps/{app_id}/events`, authenticated by the query parameters auth_key, auth_timestamp,
 * auth_version=1.0, body_md5 and auth_signature = hex HMAC-SHA256(secret,
 * "POST\n/apps/{app_id}/events\n<the other query parameters sorted by name, key=value joined by &>").
 * It verifies every request and records the events it accepted; refused requests get 401.
 */
export class FakePusher {
  readonly events: TriggeredEvent[] = [];
  /** Requests whose signature, key, body hash or timestamp did not verify. */
  readonly refused: string[] = [];
  /** Answer every trigger with this status instead (an outage). */
  failWith?: number;
  private server?: Server;

  constructor(
    readonly appId: string,
    readonly key: string,
    public secret: string,
  ) {}

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  on(channel: string, name?: string): TriggeredEvent[] {
    return this.events.filter((e) => e.channels.includes(channel) && (name === undefined || e.name === name));
  }

  private refuse(reason: string): { status: number; body: unknown } {
    this.refused.push(reason);
    return { status: 401, body: { error: reason } };
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = `/apps/${this.appId}/events`;
    if (req.method !== 'POST' || url.pathname !== path) return { status: 404, body: { error: 'not found' } };
    const query = url.searchParams;
    if (query.get('auth_key') !== this.key) return this.refuse('unknown auth_key');
    if (query.get('auth_version') !== '1.0') return this.refuse('auth_version is not 1.0');
    const timestamp = Number(query.get('auth_timestamp'));
    if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 600) {
      return this.refuse('auth_timestamp missing or more than 600 s off');
    }
    if (query.get('body_md5') !== createHash('md5').update(raw).digest('hex')) {
      return this.refuse('body_md5 does not match the body');
    }
    const signed = [...query.keys()]
      .filter((name) => name !== 'auth_signature')
      .sort()
      .map((name) => `${name}=${query.get(name)}`)
      .join('&');
    const expected = createHmac('sha256', this.secret).update(`POST\n${path}\n${signed}`).digest('hex');
    if (!safeEqual(query.get('auth_signature') ?? '', expected)) return this.refuse('auth_signature invalid');
    if (this.failWith) return { status: this.failWith, body: { error: 'outage' } };
    const body = JSON.parse(raw) as { name: string; channels?: string[]; channel?: string; data: string };
    this.events.push({
      name: body.name,
      channels: body.channels ?? (body.channel ? [body.channel] : []),
      data: JSON.parse(body.data) as Record<string, unknown>,
    });
    return { status: 200, body: {} };
  }
}
