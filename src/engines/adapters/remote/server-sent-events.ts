/** One server-sent event: its `event:` name ('message' when absent) and its `data:` lines joined by newlines. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/** Thrown when the stream is not server-sent events the reader can use. */
export class ServerSentEventsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerSentEventsError';
  }
}

/** Longest line accepted: a server sending more without a newline is not sending events. */
const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Reads a text/event-stream body (the WHATWG HTML "server-sent events" format): lines end in
 * LF, CRLF or CR; a blank line dispatches the event; `:` lines are comments; fields other
 * than `event` and `data` (id, retry) are ignored. An event with no data is skipped, as the
 * spec says; an unfinished event at the end of the stream is dropped.
 */
export async function* readServerSentEvents(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, void> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let data: string[] = [];
  let event = '';
  const line = (text: string): ServerSentEvent | undefined => {
    if (text === '') {
      const dispatched = data.length > 0 ? { event: event || 'message', data: data.join('\n') } : undefined;
      data = [];
      event = '';
      return dispatched;
    }
    if (text.startsWith(':')) return undefined;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  };
  /** The events the complete lines in the buffer dispatch; `final`: no more text will come. */
  const complete = (final: boolean): ServerSentEvent[] => {
    const events: ServerSentEvent[] = [];
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      // A CR at the very end may be the first half of a CRLF still to come.
      if (!final && buffer[end] === '\r' && end === buffer.length - 1) break;
      const newline = buffer.startsWith('\r\n', end) ? 2 : 1;
      const dispatched = line(buffer.slice(0, end));
      buffer = buffer.slice(end + newline);
      if (dispatched) events.push(dispatched);
    }
    return events;
  };
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* complete(false);
    if (buffer.length > MAX_LINE_CHARS) {
      throw new ServerSentEventsError(`a line of more than ${MAX_LINE_CHARS} characters`);
    }
  }
  buffer += decoder.decode();
  yield* complete(true);
}
