import {
  type ChatCompletionAudio,
  type ChatCompletionUsage,
  type CompletionIdentity,
  completionChunk,
  usageChunk,
} from './chat-completion-shapes.js';

/** What a streamed answer ends with, once its text is complete. */
export interface ChatStreamEnd {
  usage: ChatCompletionUsage;
  audio?: ChatCompletionAudio;
}

export interface ChatSseOptions {
  /** stream_options.include_usage: a usage chunk before [DONE] (and `usage: null` on the others). */
  includeUsage: boolean;
  /** OpenAI's `{ error: … }` body for a failure after the answer started. */
  renderError(error: unknown): unknown;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/**
 * OpenAI's streamed chat completion: a first chunk with the role, one chunk per text delta,
 * an audio chunk when the answer has audio, the last chunk with finish_reason, the usage
 * chunk when asked for, then `data: [DONE]`. A failure once the answer has started can no
 * longer change the status: it is sent as an `error` event (which the SDKs raise) and the
 * stream ends without [DONE].
 */
export async function* chatCompletionSse(
  identity: CompletionIdentity,
  source: AsyncGenerator<string, ChatStreamEnd, void>,
  options: ChatSseOptions,
): AsyncGenerator<string, void, void> {
  const usageField = options.includeUsage ? { usage: null } : {};
  const chunk = (delta: Parameters<typeof completionChunk>[1], finish = false) => ({
    ...completionChunk(identity, delta, finish),
    ...usageField,
  });
  yield sseData(chunk({ role: 'assistant', content: '' }));
  let end: ChatStreamEnd;
  try {
    for (;;) {
      const next = await source.next();
      if (next.done) {
        end = next.value;
        break;
      }
      if (next.value !== '') yield sseData(chunk({ content: next.value }));
    }
  } catch (error) {
    yield sseData(options.renderError(error));
    return;
  } finally {
    // Stopped early (the response was destroyed): the source's own cleanup runs.
    await source.return(undefined as never);
  }
  if (end.audio) yield sseData(chunk({ audio: end.audio }));
  yield sseData(chunk({}, true));
  if (options.includeUsage) yield sseData(usageChunk(identity, end.usage));
  yield SSE_DONE;
}
