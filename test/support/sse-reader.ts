/** One server-sent event as a test sees it, with the time it arrived. */
export interface ReceivedEvent {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

/**
 * Reads a text/event-stream response event by event (each `event:` + one `data:` JSON
 * line), calling `onEvent` as each arrives; answers them all once the stream ends.
 * `onEvent` returning 'stop' cancels the body (the client goes away).
 */
export async function readEvents(
  response: Response,
  onEvent: (event: ReceivedEvent) => 'stop' | void = () => undefined,
): Promise<ReceivedEvent[]> {
  if (!response.body) throw new Error('no body');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const events: ReceivedEvent[] = [];
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const name = /^event: (.+)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      const event = { event: name, data: JSON.parse(data) as Record<string, unknown>, at: performance.now() };
      events.push(event);
      if (onEvent(event) === 'stop') {
        await reader.cancel();
        return events;
      }
    }
  }
}
