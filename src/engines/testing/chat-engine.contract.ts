import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatEngine, ChatReply, ChatRequest } from '../ports/chat-engine.js';
import { EngineError } from '../ports/engine-error.js';
import { rejectsWithKind } from './engine-assertions.js';

/*
 * The behaviour every chat adapter owes the gateway, as one suite. An adapter's spec runs
 * it with one call per configuration:
 *
 *   runChatEngineContract('intents (default set)', () => makeEngine(), { userText: 'hello' });
 *
 * It needs the engine to really answer (remote adapters: a local server implementing the
 * provider's documented API).
 */

export interface ChatContractOptions {
  /** A user turn the engine answers; default below. */
  userText?: string;
}

const DEFAULT_USER_TEXT = 'Hello there!';

/** Reads a whole stream: its deltas and the reply it returns. */
export async function drainChatStream(
  stream: AsyncGenerator<string, ChatReply, void>,
): Promise<{ deltas: string[]; reply: ChatReply }> {
  const deltas: string[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) return { deltas, reply: next.value };
    deltas.push(next.value);
  }
}

function assertReplyShape(reply: ChatReply): void {
  assert.equal(typeof reply.text, 'string');
  assert.ok(reply.text.trim() !== '', 'empty reply text');
  assert.ok(reply.understood === undefined || typeof reply.understood === 'boolean');
  assert.ok(reply.intent === undefined || (typeof reply.intent === 'string' && reply.intent !== ''));
  if (reply.slots !== undefined) {
    for (const [name, value] of Object.entries(reply.slots)) {
      assert.equal(typeof value, 'string', `slot ${name} is not a string`);
    }
  }
  if (reply.usage !== undefined) {
    assert.ok(Number.isInteger(reply.usage.promptTokens) && reply.usage.promptTokens >= 0);
    assert.ok(Number.isInteger(reply.usage.completionTokens) && reply.usage.completionTokens >= 0);
  }
}

export function runChatEngineContract(
  name: string,
  makeEngine: () => Promise<ChatEngine> | ChatEngine,
  options: ChatContractOptions = {},
): void {
  const request: ChatRequest = {
    history: [{ role: 'user', content: options.userText ?? DEFAULT_USER_TEXT }],
  };
  const never = new AbortController().signal;

  // describe() and it() return promises the test runner itself awaits; `void` says so.
  void describe(`ChatEngine contract: ${name}`, () => {
    let engine: ChatEngine;

    before(async () => {
      engine = await makeEngine();
    });

    after(async () => {
      await engine?.dispose();
    });

    void it('names itself and its models', () => {
      assert.ok(engine.id.length > 0);
      assert.ok(engine.type.length > 0);
      const { models } = engine.capabilities();
      assert.ok(models.length > 0, 'no models');
      assert.ok(models.every((model) => typeof model === 'string' && model !== ''));
      assert.equal(new Set(models).size, models.length, 'a model listed twice');
    });

    void it('is healthy', async () => {
      const health = await engine.health();
      assert.equal(health.available, true, health.reason);
    });

    void it('answers a user turn with a well-formed reply', async () => {
      assertReplyShape(await engine.reply(request, never));
    });

    void it('streams deltas that join to the reply it returns', async () => {
      const { deltas, reply } = await drainChatStream(engine.stream(request, never));
      assertReplyShape(reply);
      assert.ok(deltas.length > 0, 'no deltas');
      assert.equal(deltas.join(''), reply.text);
    });

    void it('rejects an already-aborted signal with kind aborted', async () => {
      await rejectsWithKind(engine.reply(request, AbortSignal.abort()), 'aborted');
      await rejectsWithKind(drainChatStream(engine.stream(request, AbortSignal.abort())), 'aborted');
    });

    void it('rejects an empty conversation with kind invalid_input', async () => {
      await rejectsWithKind(engine.reply({ history: [] }, never), 'invalid_input');
      await rejectsWithKind(
        engine.reply({ history: [{ role: 'user', content: '  \n ' }] }, never),
        'invalid_input',
      );
    });

    void it('serves 6 concurrent calls like one', async () => {
      const first = await engine.reply(request, never);
      const replies = await Promise.all(Array.from({ length: 6 }, () => engine.reply(request, never)));
      for (const reply of replies) {
        assertReplyShape(reply);
        if (first.understood !== undefined) assert.equal(reply.understood, first.understood);
      }
    });

    void it('disposes, can be disposed twice, and then refuses work', async () => {
      await engine.dispose();
      await engine.dispose();
      await assert.rejects(engine.reply(request, never), EngineError);
    });
  });
}
