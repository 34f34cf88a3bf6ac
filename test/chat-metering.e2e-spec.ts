import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MeteringService } from '../src/accounts/metering.service.js';
import { RequestContextStore, type RequestContext } from '../src/common/request-context.js';
import {
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  type TestUser,
} from './support/accounts.js';

interface UsageRow {
  endpoint: string;
  engine: string | null;
  model: string | null;
  status: string;
  error_code: string | null;
  audio_seconds: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number;
  request_id: string;
}

/*
 * MeteringService.recordChat against the real databases: the row /conversation and
 * /v1/chat/completions write for a chat turn, tokens included (migration AddUsageLogTokens).
 */
for (const database of ['postgres', 'embedded'] as const) {
  void describe(`chat usage rows (${database})`, () => {
    let s: SecuredGateway;
    let user: TestUser;
    let usedBefore: number;

    const rows = (userId: number) =>
      s.t.gateway.database.dataSource.query<UsageRow[]>(
        `SELECT endpoint, engine, model, status, error_code, audio_seconds::float8 AS audio_seconds,
                prompt_tokens, completion_tokens, latency_ms, request_id
           FROM usage_logs WHERE user_id = $1 ORDER BY id`,
        [userId],
      );
    const usedSeconds = async (userId: number): Promise<number> =>
      (
        await s.t.gateway.database.dataSource.query<Array<{ used: number }>>(
          'SELECT used_seconds::float8 AS used FROM users WHERE id = $1',
          [userId],
        )
      )[0].used;
    /** Runs `work` as a request of `user` on `endpoint`, as the API-key guard would set it up. */
    const asRequestOf = <T>(requestId: string, work: () => Promise<T>): Promise<T> => {
      const context: RequestContext = {
        requestId,
        startedAt: process.hrtime.bigint(),
        endpoint: '/conversation',
        account: {
          userId: user.id,
          keyId: user.keyId,
          plan: 'free',
          isAdmin: false,
          scopes: ['conversation'],
        },
      };
      return RequestContextStore.run(context, work);
    };

    before(async () => {
      s = await startSecuredGateway({ database });
      user = await createUserWithKey(s.t.url, s.adminKey, { email: `chat-${database}@example.com` });
      usedBefore = await usedSeconds(user.id);
    });
    after(() => s?.t.close());

    void it('writes one row per turn with the engine, model and tokens, charging no seconds', async () => {
      const metering = s.t.gateway.app.get(MeteringService);
      await asRequestOf('chat-ok', () =>
        metering.recordChat({
          engine: 'assistant',
          model: 'gpt-4o-mini',
          usage: { promptTokens: 42, completionTokens: 17 },
          status: 'success',
          latencyMs: 123.4,
        }),
      );
      await asRequestOf('chat-failed', () =>
        metering.recordChat({ engine: 'assistant', status: 'error', errorCode: 'ENGINE_UNAVAILABLE' }),
      );
      await asRequestOf('chat-intents', () => metering.recordChat({ engine: 'home', status: 'success' }));
      const written = await rows(user.id);
      assert.deepEqual(
        written.map(({ latency_ms: latency, ...rest }) => ({ ...rest, timed: latency >= 0 })),
        [
          {
            endpoint: '/conversation',
            engine: 'assistant',
            model: 'gpt-4o-mini',
            status: 'success',
            error_code: null,
            audio_seconds: 0,
            prompt_tokens: 42,
            completion_tokens: 17,
            request_id: 'chat-ok',
            timed: true,
          },
          {
            endpoint: '/conversation',
            engine: 'assistant',
            model: null,
            status: 'error',
            error_code: 'ENGINE_UNAVAILABLE',
            audio_seconds: 0,
            prompt_tokens: null,
            completion_tokens: null,
            request_id: 'chat-failed',
            timed: true,
          },
          {
            endpoint: '/conversation',
            engine: 'home',
            model: null,
            status: 'success',
            error_code: null,
            audio_seconds: 0,
            prompt_tokens: null,
            completion_tokens: null,
            request_id: 'chat-intents',
            timed: true,
          },
        ],
      );
      assert.equal(written[0].latency_ms, 123);
      assert.equal(await usedSeconds(user.id), usedBefore);
    });

    void it('writes nothing outside an authenticated request', async () => {
      const before = (await rows(user.id)).length;
      await s.t.gateway.app.get(MeteringService).recordChat({ engine: 'assistant', status: 'success' });
      assert.equal((await rows(user.id)).length, before);
    });
  });
}
