import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConversationRetentionService } from '../src/conversation/conversation-retention.service.js';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  type TestUser,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { CONVERSATION_TEST_CONFIG } from './support/conversation-config.js';
import { deepMerge, requestJson, waitForVoices } from './support/test-gateway.js';

interface TurnData {
  conversation_id: string;
  turn_id: string;
  transcript?: { text: string; engine: string };
  reply: { text: string; engine: string; intent?: string; slots?: Record<string, string> };
  audio_base64: string;
  audio_format: string;
  duration_seconds: number;
  timings: { stt_ms: number | null; chat_ms: number; tts_ms: number; first_audio_ms: number | null };
}

interface Answer<T> {
  status: string;
  message: string;
  data: T;
  metadata: { error_code: string | null };
}

interface TurnRow {
  id: string;
  role: string;
  text: string;
  created_at: string;
  engines: { stt?: string; chat?: string; tts?: string };
  audio_seconds: number | null;
  intent?: string;
  slots?: Record<string, string>;
}

/** Conversation turns against a real gateway: intents chat engine, espeak TTS, pocketsphinx STT. */
describe('POST /conversation and the conversation history', () => {
  let s: SecuredGateway;
  let alice: TestUser;
  let bob: TestUser;
  const clips = new Map<string, Buffer>();

  async function speak(text: string): Promise<Buffer> {
    const cached = clips.get(text);
    if (cached) return cached;
    const response = await fetch(`${s.t.url}/tts`, {
      method: 'POST',
      headers: { ...bearer(s.adminKey), 'Content-Type': 'application/json' },
      body: JSON.stringify({ text, response_format: 'wav' }),
    });
    assert.equal(response.status, 200);
    const wav = Buffer.from(await response.arrayBuffer());
    clips.set(text, wav);
    return wav;
  }

  function textTurn(key: string, body: Record<string, unknown>) {
    return requestJson<Answer<TurnData>>(`${s.t.url}/conversation`, {
      method: 'POST',
      headers: { ...bearer(key), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  function spokenTurn(key: string, audio: Buffer, fields: Record<string, string> = {}) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([audio]), 'turn.wav');
    return requestJson<Answer<TurnData>>(`${s.t.url}/conversation`, {
      method: 'POST',
      headers: bearer(key),
      body: form,
    });
  }

  function get<T>(key: string, path: string) {
    return requestJson<Answer<T>>(`${s.t.url}${path}`, { headers: bearer(key) });
  }

  async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
    return s.t.gateway.database.dataSource.query<T[]>(text, params);
  }

  before(async () => {
    s = await startSecuredGateway({
      config: deepMerge(CONVERSATION_TEST_CONFIG, {
        routers: { core: { conversation: { max_text_length: 200, max_audio_seconds: 6 } } },
        rate_limits: {
          plans: {
            free: UNTHROTTLED_PLAN,
            pro: UNTHROTTLED_PLAN,
            chatless: { ...UNTHROTTLED_PLAN, conversation_allowed: false },
          },
        },
      }),
    });
    await waitForVoices(s.t.url, 'language=en-us', 1, bearer(s.adminKey));
    alice = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'alice@example.com',
      plan: 'pro',
      quota_seconds: 1000,
    });
    bob = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'bob@example.com',
      plan: 'pro',
      quota_seconds: 1000,
    });
  });
  after(() => s.t.close());

  it('answers a typed turn with the intent, its spoken reply and the timings', async () => {
    const answer = await textTurn(alice.key, { text: 'What time is it?' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const data = answer.body.data;
    assert.match(data.conversation_id, /^[0-9a-f-]{36}$/);
    assert.match(data.turn_id, /^\d+$/);
    assert.equal(data.transcript, undefined);
    assert.equal(data.reply.engine, 'intents');
    assert.equal(data.reply.intent, 'time');
    assert.match(data.reply.text, /^It is .+\.$/);
    assert.equal(data.audio_format, 'wav');
    const audio = Buffer.from(data.audio_base64, 'base64');
    assert.equal(audio.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.ok(data.duration_seconds > 0.3, `duration ${data.duration_seconds}`);
    assert.equal(data.timings.stt_ms, null);
    assert.ok(data.timings.chat_ms >= 0 && data.timings.tts_ms > 0);
    assert.ok(data.timings.first_audio_ms !== null && data.timings.first_audio_ms > 0);
  });

  it('answers in the asked audio format', async () => {
    const answer = await textTurn(alice.key, { text: 'hello', response_format: 'mp3' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.data.audio_format, 'mp3');
    const audio = Buffer.from(answer.body.data.audio_base64, 'base64');
    assert.ok(audio.subarray(0, 3).toString('latin1') === 'ID3' || audio[0] === 0xff, 'an MP3 file');
  });

  it('hears a spoken command with the intents grammar: intent and slots', async () => {
    const answer = await spokenTurn(alice.key, await speak('turn on the kitchen light'));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const data = answer.body.data;
    assert.deepEqual(data.transcript, { text: 'turn on the kitchen light', engine: 'pocketsphinx' });
    assert.equal(data.reply.intent, 'light_on');
    assert.deepEqual(data.reply.slots, { area: 'kitchen' });
    assert.equal(data.reply.text, 'Turning on the kitchen light.');
    assert.ok(data.timings.stt_ms !== null && data.timings.stt_ms > 0);

    const time = await spokenTurn(alice.key, await speak('what time is it'), {
      conversation_id: data.conversation_id,
      response_format: 'opus',
    });
    assert.equal(time.status, 200, JSON.stringify(time.body));
    assert.equal(time.body.data.transcript?.text, 'what time is it');
    assert.equal(time.body.data.reply.intent, 'time');
    assert.equal(time.body.data.conversation_id, data.conversation_id);
    assert.equal(
      Buffer.from(time.body.data.audio_base64, 'base64').subarray(0, 4).toString('latin1'),
      'OggS',
    );
  });

  it('keeps the turns: role, text, engines and audio seconds, oldest first', async () => {
    const first = await textTurn(alice.key, { text: 'hello there' });
    const id = first.body.data.conversation_id;
    const second = await spokenTurn(alice.key, await speak('turn on the kitchen light'), {
      conversation_id: id,
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const got = await get<{ id: string; title: string; turn_count: number; turns: TurnRow[] }>(
      alice.key,
      `/conversations/${id}`,
    );
    assert.equal(got.status, 200);
    assert.equal(got.body.data.title, 'hello there');
    assert.equal(got.body.data.turn_count, 4);
    const turns = got.body.data.turns;
    assert.deepEqual(
      turns.map((turn) => [turn.role, turn.text]),
      [
        ['user', 'hello there'],
        ['assistant', 'Hello! How can I help you?'],
        ['user', 'turn on the kitchen light'],
        ['assistant', 'Turning on the kitchen light.'],
      ],
    );
    assert.deepEqual(turns[0].engines, {});
    assert.equal(turns[0].audio_seconds, null);
    assert.deepEqual(turns[1].engines, { chat: 'intents', tts: 'espeak' });
    assert.ok((turns[1].audio_seconds ?? 0) > 0.5);
    assert.deepEqual(turns[2].engines, { stt: 'pocketsphinx' });
    assert.ok((turns[2].audio_seconds ?? 0) > 0.5);
    assert.equal(turns[3].intent, 'light_on');
    assert.deepEqual(turns[3].slots, { area: 'kitchen' });
    assert.equal(turns[3].id, second.body.data.turn_id);
    assert.ok(!Number.isNaN(Date.parse(turns[0].created_at)));
  });

  it('lists only the caller’s conversations, the most recent first, in pages', async () => {
    const carol = await createUserWithKey(s.t.url, s.adminKey, { email: 'carol@example.com', plan: 'pro' });
    const ids: string[] = [];
    for (const text of ['hello', 'thank you', 'what can you do']) {
      ids.push((await textTurn(carol.key, { text })).body.data.conversation_id);
    }
    await textTurn(bob.key, { text: 'hello' });
    type Listing = {
      conversations: Array<{ id: string; title: string }>;
      total: number;
      limit: number;
      offset: number;
    };
    const page = await get<Listing>(carol.key, '/conversations?limit=2');
    assert.equal(page.status, 200);
    assert.equal(page.body.data.total, 3);
    assert.deepEqual(
      page.body.data.conversations.map((c) => c.id),
      [ids[2], ids[1]],
    );
    const rest = await get<Listing>(carol.key, '/conversations?limit=2&offset=2');
    assert.deepEqual(
      rest.body.data.conversations.map((c) => c.title),
      ['hello'],
    );
    const bad = await get<Listing>(carol.key, '/conversations?limit=0');
    assert.equal(bad.status, 400);
  });

  it('hides another user’s conversation (404 to read, delete or continue); admins see it', async () => {
    const mine = (await textTurn(alice.key, { text: 'hello' })).body.data.conversation_id;
    const read = await get(bob.key, `/conversations/${mine}`);
    assert.equal(read.status, 404);
    assert.equal(read.body.metadata.error_code, 'NOT_FOUND');
    const deleted = await requestJson(`${s.t.url}/conversations/${mine}`, {
      method: 'DELETE',
      headers: bearer(bob.key),
    });
    assert.equal(deleted.status, 404);
    const continued = await textTurn(bob.key, { text: 'hello', conversation_id: mine });
    assert.equal(continued.status, 404);
    const absent = await get(bob.key, '/conversations/00000000-0000-4000-8000-000000000000');
    assert.equal(absent.status, 404, 'the same answer as for a conversation that does not exist');

    const admin = await get<{ id: string; turns: TurnRow[] }>(s.adminKey, `/conversations/${mine}`);
    assert.equal(admin.status, 200);
    assert.equal(admin.body.data.turns.length, 2);
    assert.equal((await get(alice.key, `/conversations/${mine}`)).status, 200, 'still there');
  });

  it('deletes a conversation and its turns', async () => {
    const id = (await textTurn(alice.key, { text: 'hello' })).body.data.conversation_id;
    const deleted = await requestJson<Answer<{ id: string; deleted: boolean }>>(
      `${s.t.url}/conversations/${id}`,
      {
        method: 'DELETE',
        headers: bearer(alice.key),
      },
    );
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body.data, { id, deleted: true });
    assert.equal((await get(alice.key, `/conversations/${id}`)).status, 404);
    const turns = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM conversation_turns WHERE conversation_id = $1`,
      [id],
    );
    assert.equal(Number(turns[0].n), 0);
    const again = await requestJson(`${s.t.url}/conversations/${id}`, {
      method: 'DELETE',
      headers: bearer(alice.key),
    });
    assert.equal(again.status, 404);
  });

  it('validates ids in paths: malformed 400, well-formed but unknown 404', async () => {
    assert.equal((await get(alice.key, '/conversations/not%20an%20id')).status, 400);
    assert.equal((await get(alice.key, '/conversations/abc')).status, 404);
    assert.equal((await get(alice.key, `/conversations/${'a'.repeat(65)}`)).status, 400);
  });

  it('charges STT and TTS seconds like /stt and /tts, logged per stage', async () => {
    const dave = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'dave@example.com',
      plan: 'pro',
      quota_seconds: 100,
    });
    const answer = await spokenTurn(dave.key, await speak('what time is it'));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const rows = await sql<{ endpoint: string; engine: string; audio_seconds: string; status: string }>(
      `SELECT endpoint, engine, audio_seconds, status FROM usage_logs WHERE user_id = $1 ORDER BY id`,
      [dave.id],
    );
    const chatRows = rows.filter((row) => row.engine === 'intents');
    assert.equal(chatRows.length, 1, 'one chat row, no seconds');
    assert.equal(chatRows[0].status, 'success');
    assert.equal(Number(chatRows[0].audio_seconds), 0);
    const stt = rows.filter((row) => row.engine === 'pocketsphinx');
    const tts = rows.filter((row) => row.engine === 'espeak');
    assert.equal(stt.length, 1, JSON.stringify(rows));
    assert.ok(tts.length >= 1, JSON.stringify(rows));
    for (const row of [...stt, ...tts]) {
      assert.equal(row.status, 'success');
      assert.equal(row.endpoint, '/conversation');
    }
    const charged = [...stt, ...tts].reduce((sum, row) => sum + Number(row.audio_seconds), 0);
    const [user] = await sql<{ used_seconds: string }>(`SELECT used_seconds FROM users WHERE id = $1`, [
      dave.id,
    ]);
    assert.ok(Math.abs(Number(user.used_seconds) - charged) < 0.01, `${user.used_seconds} vs ${charged}`);
    assert.ok(Number(stt[0].audio_seconds) > 0.5);
    assert.equal(Number(answer.headers.get('x-quota-remaining')).toFixed(1), (100 - charged).toFixed(1));
  });

  it('refuses a plan without conversation (403) before reading the audio', async () => {
    const erin = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'erin@example.com',
      plan: 'chatless',
    });
    const typed = await textTurn(erin.key, { text: 'hello' });
    assert.equal(typed.status, 403);
    assert.equal(typed.body.metadata.error_code, 'PLAN_FEATURE_DISABLED');
    const spoken = await spokenTurn(erin.key, await speak('hello'));
    assert.equal(spoken.status, 403);
  });

  it('needs the conversation scope', async () => {
    const ttsOnly = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'frank@example.com',
      scopes: ['tts'],
    });
    const refused = await textTurn(ttsOnly.key, { text: 'hello' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.metadata.error_code, 'INSUFFICIENT_SCOPE');
    assert.equal((await get(ttsOnly.key, '/conversations')).status, 403);
  });

  it('refuses bad input with 400, 413 and 415, naming the field or the limit', async () => {
    const tooLong = await textTurn(alice.key, { text: 'hello '.repeat(40) });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.metadata.error_code, 'VALIDATION_FAILED');
    assert.match(tooLong.body.message, /routers\.core\.conversation\.max_text_length/);

    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'text'],
      [{ text: '   ' }, 'text'],
      [{ text: 'hello', colour: 'red' }, 'colour'],
      [{ text: 'hello', response_format: 'midi' }, 'response_format'],
      [{ text: 'hello', conversation_id: 'nope' }, 'conversation_id'],
      [{ text: 'hello', stream: 'yes' }, 'stream'],
      [{ text: 42 }, 'text'],
      [{ text: 'hello', model: 'no-such-engine' }, 'model'],
    ];
    for (const [body, field] of cases) {
      const refused = await textTurn(alice.key, body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      const fields = (refused.body.data as unknown as { fields: Array<{ field: string }> }).fields;
      assert.ok(
        fields.some((f) => f.field === field),
        `${JSON.stringify(body)}: ${JSON.stringify(refused.body)}`,
      );
    }
    const unknownConversation = await textTurn(alice.key, {
      text: 'hello',
      conversation_id: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(unknownConversation.status, 404);
    const unknownVoice = await textTurn(alice.key, { text: 'hello', voice: 'nobody' });
    assert.equal(unknownVoice.status, 404);
    assert.equal(unknownVoice.body.metadata.error_code, 'VOICE_NOT_FOUND');

    const both = await spokenTurn(alice.key, await speak('hello'), { text: 'hello' });
    assert.equal(both.status, 400);
    const extra = await spokenTurn(alice.key, await speak('hello'), { colour: 'red' });
    assert.equal(extra.status, 400);
    const tooManyFields: Record<string, string> = {};
    for (let i = 0; i < 40; i++) tooManyFields[`f${i}`] = 'x';
    assert.equal((await spokenTurn(alice.key, await speak('hello'), tooManyFields)).status, 400);

    const long = await spokenTurn(
      alice.key,
      await speak(
        'This sentence is spoken for a long time so that the audio runs well past six seconds, which is the limit on this server. It goes on and on, with many more words than any spoken command would need.',
      ),
    );
    assert.equal(long.status, 413, JSON.stringify(long.body));
    assert.equal(long.body.metadata.error_code, 'AUDIO_TOO_LONG');
    assert.match(long.body.message, /routers\.core\.conversation\.max_audio_seconds/);

    const notAudio = await spokenTurn(alice.key, Buffer.from('this is not audio at all'));
    assert.equal(notAudio.status, 415);

    const raw = await requestJson(`${s.t.url}/conversation`, {
      method: 'POST',
      headers: { ...bearer(alice.key), 'Content-Type': 'audio/wav' },
      body: await speak('hello'),
    });
    assert.equal(raw.status, 415);

    const failedRows = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM conversations WHERE user_id = $1 AND turn_count = 0`,
      [alice.id],
    );
    assert.equal(Number(failedRows[0].n), 0, 'refused turns leave no conversation behind');
  });

  it('purges conversations unused for longer than retention_days', async () => {
    const old = (await textTurn(bob.key, { text: 'hello' })).body.data.conversation_id;
    const fresh = (await textTurn(bob.key, { text: 'thanks' })).body.data.conversation_id;
    await sql(`UPDATE conversations SET updated_at = now() - interval '31 days' WHERE id = $1`, [old]);
    const purged = await s.t.gateway.app.get(ConversationRetentionService).purgeExpired();
    assert.ok(purged >= 1);
    assert.equal((await get(bob.key, `/conversations/${old}`)).status, 404);
    assert.equal((await get(bob.key, `/conversations/${fresh}`)).status, 200);
    const orphans = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM conversation_turns WHERE conversation_id = $1`,
      [old],
    );
    assert.equal(Number(orphans[0].n), 0);
  });
});
