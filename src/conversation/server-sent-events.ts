import { PassThrough } from 'node:stream';

/**
 * A text/event-stream body: each send() writes one event (`event:` name, one `data:` line
 * of JSON) as soon as it is made. Writes after the client left (the body destroyed) or
 * after end() are dropped.
 */
export class ServerSentEvents {
  readonly body = new PassThrough();

  send(event: string, data: unknown): void {
    if (this.body.destroyed || this.body.writableEnded) return;
    this.body.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (!this.body.destroyed && !this.body.writableEnded) this.body.end();
  }
}
