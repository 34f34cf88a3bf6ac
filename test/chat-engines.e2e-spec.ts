import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ChatEngineChain } from '../src/engines/chat-engine-chain.js';
import { closedPortUrl } from '../src/engines/adapters/remote/testing/local-http-server.js';
import { type FakeOpenAiChat, startFakeOpenAiChat } from './support/fake-openai-chat.js';
import { startTestGateway, type TestGateway, waitFor } from './support/test-gateway.js';

interface EngineStatus {
  id: string;
  type: string;
  available: boolean;
  reason: string | null;
}

interface Breaker {
  name: string;
  kind: string;
  state: string;
}

/*
 * Chat engines as operators see them: a gateway whose engines.chat has a `type: openai`
 * engine on a local fake of OpenAI's chat API (and one on a dead port) lists them in
 * /health and /circuit-breakers, resets their breakers, and serves the chain through them.
 */
describe('chat engines in /health and /circuit-breakers', () => {
  let t: TestGateway;
  let chat: FakeOpenAiChat;
  const never = new AbortController().signal;
  const request_ = { history: [{ role: 'user' as const, content: 'Hello there.' }] };

  const health = async () =>
    (await request(t.url).get('/health').expect(200)).body.data as {
      engines: { chat: EngineStatus[] };
      architecture: { routers: Record<string, boolean> };
      checks: Record<string, { status: string; detail?: string }>;
    };
  const breakers = async () =>
    (await request(t.url).get('/circuit-breakers/status').expect(200)).body.data.breakers as Breaker[];

  before(async () => {
    chat = await startFakeOpenAiChat();
    t = await startTestGateway({
      config: {
        resilience: {
          retry: { max_attempts: 1 },
          circuit_breaker: { failure_threshold: 2, timeout_seconds: 600 },
        },
        engines: {
          chat: [
            { id: 'assistant', type: 'openai', options: { base_url: chat.baseUrl, api_key: chat.key } },
            {
              id: 'backup',
              type: 'openai',
              priority: 1,
              options: { base_url: `${await closedPortUrl()}/v1`, api_key: 'sk-none' },
            },
          ],
        },
      },
    });
  });
  after(async () => {
    await t?.close();
    await chat?.close();
  });

  it('lists each chat engine with its availability, and the conversation router as on', async () => {
    const report = await health();
    const byId = new Map(report.engines.chat.map((engine) => [engine.id, engine]));
    assert.deepEqual([...byId.keys()], ['assistant', 'backup']);
    assert.equal(byId.get('assistant')?.available, true);
    assert.equal(byId.get('assistant')?.type, 'openai');
    assert.equal(byId.get('backup')?.available, false);
    assert.ok(byId.get('backup')?.reason);
    assert.equal(report.architecture.routers['core.conversation'], true);
    assert.match(report.checks['engines']?.detail ?? '', /backup/);
  });

  it('streams a reply from the remote engine through the chain', async () => {
    const stream = t.gateway.app.get(ChatEngineChain).stream(request_, { signal: never });
    const deltas: string[] = [];
    let next = await stream.next();
    while (!next.done) {
      deltas.push(next.value.delta);
      next = await stream.next();
    }
    assert.ok(deltas.length > 1, 'more than one delta');
    assert.equal(deltas.join(''), 'You said "Hello there." in 1 turn(s).');
    assert.equal(next.value.engine, 'assistant');
    assert.deepEqual(next.value.reply.usage, { promptTokens: 2, completionTokens: 7 });
  });

  it('lists chat breakers, shows one tripped by failures, and resets it', async () => {
    assert.deepEqual(
      (await breakers()).filter((b) => b.kind === 'chat').map((b) => [b.name, b.state]),
      [
        ['assistant', 'closed'],
        ['backup', 'closed'],
      ],
    );
    const chain = t.gateway.app.get(ChatEngineChain);
    chat.fault = 'http500';
    for (let i = 0; i < 2; i++) {
      await assert.rejects(chain.reply(request_, { model: 'assistant', signal: never }));
    }
    chat.fault = undefined;
    const one = await request(t.url).get('/circuit-breakers/assistant/status').expect(200);
    assert.equal(one.body.data.state, 'open');
    assert.equal(one.body.data.kind, 'chat');
    const tripped = await health();
    assert.equal(tripped.engines.chat.find((e) => e.id === 'assistant')?.reason, 'circuit breaker open');
    assert.equal(tripped.architecture.routers['core.conversation'], false);

    const reset = await request(t.url).post('/circuit-breakers/assistant/reset').expect(200);
    assert.equal(reset.body.data.state, 'closed');
    await waitFor(
      async () => ((await health()).engines.chat[0]?.available ? true : undefined),
      'assistant available again',
    );
    const outcome = await chain.reply(request_, { model: 'assistant', signal: never });
    assert.equal(outcome.engine, 'assistant');
  });
});
