import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../common/app-error.js';
import { newCompletionIdentity, usageOf } from './chat-completion-shapes.js';
import { chatCompletionSse, type ChatStreamEnd, SSE_DONE } from './chat-completion-sse.js';

async function* source(deltas: string[], fail?: Error): AsyncGenerator<string, ChatStreamEnd, void> {
  for (const delta of deltas) yield await Promise.resolve(delta);
  if (fail) throw fail;
  return { usage: usageOf(3, 2) };
}

async function events(
  deltas: string[],
  options: { includeUsage?: boolean; fail?: Error } = {},
): Promise<string[]> {
  const out: string[] = [];
  const identity = newCompletionIdentity('intents', 1_700_000_000_000);
  for await (const event of chatCompletionSse(identity, source(deltas, options.fail), {
    includeUsage: options.includeUsage ?? false,
    renderError: (error) => ({ error: { message: (error as Error).message } }),
  })) {
    out.push(event);
  }
  return out;
}

function parsed(event: string): Record<string, unknown> {
  assert.ok(event.startsWith('data: ') && event.endsWith('\n\n'), event);
  return JSON.parse(event.slice(6)) as Record<string, unknown>;
}

describe('chatCompletionSse', () => {
  it('sends the role, the deltas, the finish reason and [DONE], all under one id', async () => {
    const out = await events(['Hel', '', 'lo.']);
    assert.equal(out.at(-1), SSE_DONE);
    const chunks = out.slice(0, -1).map(parsed);
    assert.equal(chunks.length, 4, 'the empty delta is not sent');
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]?.id));
    assert.ok(
      chunks.every((c) => !('usage' in c)),
      'no usage field unless asked for',
    );
    const choices = chunks.map((c) => (c.choices as Array<Record<string, unknown>>)[0]);
    assert.deepEqual(choices[0]?.delta, { role: 'assistant', content: '' });
    assert.equal(choices.map((c) => (c?.delta as { content?: string }).content ?? '').join(''), 'Hello.');
    assert.deepEqual(
      choices.map((c) => c?.finish_reason),
      [null, null, null, 'stop'],
    );
  });

  it('adds a usage chunk without choices when include_usage is set', async () => {
    const chunks = (await events(['Hi'], { includeUsage: true })).slice(0, -1).map(parsed);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.deepEqual(last?.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
  });

  it('ends with an error event and no [DONE] when the source fails mid-stream', async () => {
    const out = await events(['Hi'], { fail: new AppError('ENGINE_FAILED', 'engine went away') });
    assert.notEqual(out.at(-1), SSE_DONE);
    assert.deepEqual(parsed(out.at(-1) ?? ''), { error: { message: 'engine went away' } });
  });
});
