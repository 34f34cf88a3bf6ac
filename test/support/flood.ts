import { connect } from 'node:net';

export interface Flood {
  /** The answer's head and body as received. */
  received: string;
  /** Body bytes written before the server closed the connection. */
  sent: number;
  closedEarly: boolean;
}

/**
 * Streams `total` bytes of body (chunked, or with the given Content-Length) as fast as the
 * server takes them, reading the answer meanwhile; stops when the server closes.
 */
export function flood(
  url: string,
  path: string,
  headers: Record<string, string>,
  options: { prefix?: string; suffix?: string; total: number; contentLength?: number },
): Promise<Flood> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let sent = 0;
    let finished = false;
    const finish = (closedEarly: boolean): void => {
      if (finished) return;
      finished = true;
      socket.destroy();
      resolve({ received, sent, closedEarly });
    };
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (received += text));
    socket.on('close', () => finish(sent < options.total));
    socket.on('error', () => finish(true)); // EPIPE / ECONNRESET: the server closed while we wrote
    const chunked = options.contentLength === undefined;
    const head = [
      `POST ${path} HTTP/1.1`,
      `Host: ${hostname}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${options.contentLength}`,
      '',
      '',
    ].join('\r\n');
    const frame = (bytes: Buffer): Buffer =>
      chunked
        ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')])
        : bytes;
    const block = Buffer.alloc(64 * 1024, 0x41);
    void (async () => {
      socket.write(head);
      if (options.prefix) socket.write(frame(Buffer.from(options.prefix)));
      while (!finished && sent < options.total) {
        const ok = socket.write(frame(block));
        sent += block.length;
        if (!ok) {
          await new Promise<void>((resolve) => {
            socket.once('drain', resolve);
            socket.once('close', resolve);
          });
        }
      }
      if (finished) return;
      // Everything was taken: the server read the whole body. End it properly and wait for the answer.
      if (options.suffix) socket.write(frame(Buffer.from(options.suffix)));
      if (chunked) socket.write('0\r\n\r\n');
      socket.end();
    })();
  });
}
