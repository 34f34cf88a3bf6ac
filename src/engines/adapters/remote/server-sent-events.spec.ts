import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readServerSentEvents, type ServerSentEvent } from './server-sent-events.js';

async function* asChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

async function eventsOf(...pieces: string[]): Promise<ServerSentEvent[]> {
  const chunks = (): AsyncGenerator<Uint8Array> =>
    asChunks(pieces.map((piece) => new TextEncoder().encode(piece)));
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(chunks())) events.push(event);
  return events;
}

void describe('readServerSentEvents', () => {
  void it('dispatches on blank lines, joins data lines and skips comments and empty events', async () => {
    assert.deepEqual(await eventsOf(': keep-alive\n\ndata: a\ndata: b\n\nevent: ping\nid: 7\n\ndata:c\n\n'), [
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c' },
    ]);
  });

  void it('reads events split anywhere across chunks, with LF, CRLF or CR line ends', async () => {
    assert.deepEqual(await eventsOf('da', 'ta: {"x":', '1}\r', '\n\r', '\nevent: done\rdata: é\r\r'), [
      { event: 'message', data: '{"x":1}' },
      { event: 'done', data: 'é' },
    ]);
    const bytes = new TextEncoder().encode('data: é\n\n');
    const split = [bytes.subarray(0, 7), bytes.subarray(7)];
    const events: ServerSentEvent[] = [];
    for await (const event of readServerSentEvents(asChunks(split))) events.push(event);
    assert.deepEqual(events, [{ event: 'message', data: 'é' }]);
  });

  void it('drops an unfinished event at the end', async () => {
    assert.deepEqual(await eventsOf('data: whole\n\ndata: cut'), [{ event: 'message', data: 'whole' }]);
  });
});
