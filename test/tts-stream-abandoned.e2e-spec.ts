import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RequestContextStore } from '../src/common/request-context.js';
import { TtsService } from '../src/tts/tts.service.js';
import { bearer, createUserWithKey, type SecuredGateway, startSecuredGateway } from './support/accounts.js';
import { ESPEAK_TEST_CONFIG } from './support/espeak-config.js';
import { requestJson, waitFor, waitForVoices } from './support/test-gateway.js';

/*
 * A streamed answer whose body is never read — the client left while the first chunk was
 * being made, and the framework destroyed the stream before piping it — must still settle:
 * its reservation released, its usage row written, its concurrency slot and engine freed.
 * An async generator that never started skips its own `finally`, so this is checked here
 * on the service itself, the one place the race can be made deterministic.
 */
describe('a TTS stream abandoned before its body starts', () => {
  let s: SecuredGateway;
  before(async () => {
    s = await startSecuredGateway({ config: ESPEAK_TEST_CONFIG });
    await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
  });
  after(() => s.t.close());

  it('releases its reservation and logs the cancellation', async () => {
    const user = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'gone-early@example.com',
      plan: 'pro',
      quota_seconds: 1000,
    });
    const tts = s.t.gateway.app.get(TtsService);
    const client = new AbortController();
    const context = {
      requestId: 'abandoned-stream',
      startedAt: process.hrtime.bigint(),
      endpoint: '/tts',
      account: { userId: user.id, keyId: null, plan: 'pro', isAdmin: false, scopes: ['tts'] as const },
    };
    await RequestContextStore.run(context, async () => {
      const stream = await tts.synthesizeStream(
        { text: 'The client will not read this. Nor this second sentence.', format: 'pcm' },
        client.signal,
      );
      assert.ok(stream.body, 'the stream was made');
      client.abort(); // and its body is never iterated
    });
    const usage = async () =>
      (
        await requestJson<{ data: { users: Array<{ requests: number; failures: number }> } }>(
          `${s.t.url}/admin/usage?user_id=${user.id}`,
          { headers: bearer(s.adminKey) },
        )
      ).body.data.users[0];
    const settled = await waitFor(async () => {
      const row = await usage();
      return row && row.requests > 0 ? row : undefined;
    }, 'the abandoned stream to be settled');
    assert.deepEqual([settled.requests, settled.failures], [1, 1]);
    const view = await requestJson<{ data: { used_seconds: number } }>(`${s.t.url}/admin/users/${user.id}`, {
      headers: bearer(s.adminKey),
    });
    assert.equal(view.body.data.used_seconds, 0, 'nothing stays reserved');
  });
});
