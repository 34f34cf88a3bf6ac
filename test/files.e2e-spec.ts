import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { encodeWav } from '../src/audio/wav.js';
import { FileRetentionService } from '../src/files/file-retention.service.js';
import { FileStorageService } from '../src/files/file-storage.service.js';
import {
  bearer,
  createUserWithKey,
  type SecuredGateway,
  startSecuredGateway,
  type TestUser,
  UNTHROTTLED_PLAN,
} from './support/accounts.js';
import { startTestGateway, type TestGateway } from './support/test-gateway.js';

interface FileJson {
  id: string | null;
  name: string;
  folder: string;
  source: 'stored' | 'operator';
  owner_id: number | null;
  content_type: string | null;
  size_bytes: number;
  status: string;
  metadata: Record<string, unknown>;
  url: string | null;
}

interface Answer<T> {
  status: string;
  message: string;
  data: T;
  metadata: { error_code: string | null };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const TINY_QUOTA = 20_000;

/** A mono 16 kHz WAV of a tone, `seconds` long. */
function toneWav(seconds: number): Buffer {
  const rate = 16000;
  const samples = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < samples.length; i += 1)
    samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return encodeWav(samples, rate);
}

const VOICE = {
  name: 'narrator',
  engine: 'espeak',
  engine_voice_id: 'en-us',
  language: 'en-us',
  gender: 'female',
  description: 'A calm narrator',
};

async function upload(
  url: string,
  key: string,
  folder: string,
  bytes: Buffer,
  options: { filename?: string; name?: string } = {},
): Promise<{ status: number; body: Answer<FileJson>; headers: Headers }> {
  const form = new FormData();
  if (options.name !== undefined) form.append('name', options.name);
  form.append('file', new Blob([bytes]), options.filename ?? 'upload.bin');
  const response = await fetch(`${url}/files/${folder}`, {
    method: 'POST',
    headers: bearer(key),
    body: form,
  });
  return {
    status: response.status,
    body: (await response.json()) as Answer<FileJson>,
    headers: response.headers,
  };
}

async function uploaded(
  url: string,
  key: string,
  folder: string,
  bytes: Buffer,
  filename?: string,
): Promise<FileJson> {
  const answer = await upload(url, key, folder, bytes, { filename });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.data;
}

async function download(
  url: string,
  key: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const response = await fetch(`${url}${path}`, { headers: { ...bearer(key), ...headers } });
  return {
    status: response.status,
    bytes: Buffer.from(await response.arrayBuffer()),
    headers: response.headers,
  };
}

async function listing(
  url: string,
  key: string,
  folder: string,
  query = '',
): Promise<{ files: FileJson[]; total: number }> {
  const response = await fetch(`${url}/files/${folder}${query}`, { headers: bearer(key) });
  assert.equal(response.status, 200);
  const body = (await response.json()) as Answer<FileJson[]>;
  return { files: body.data, total: Number(response.headers.get('x-total-count')) };
}

async function errorCodeOf(response: Response): Promise<string | null> {
  return ((await response.json()) as Answer<unknown>).metadata.error_code;
}

describe('files: per-user storage under /files/{folder}', () => {
  let s: SecuredGateway;
  let alice: TestUser;
  let bob: TestUser;
  let tiny: TestUser;

  before(async () => {
    s = await startSecuredGateway({
      config: {
        rate_limits: {
          plans: {
            free: { ...UNTHROTTLED_PLAN },
            tiny: { ...UNTHROTTLED_PLAN, storage_quota_bytes: TINY_QUOTA },
          },
        },
        routers: {
          management: {
            files: {
              max_upload_size_mb: 1,
              reference_audio: { max_audio_seconds: 3 },
              outputs: { retention_days: 7 },
            },
          },
        },
      },
    });
    alice = await createUserWithKey(s.t.url, s.adminKey, { email: 'alice@example.com' });
    bob = await createUserWithKey(s.t.url, s.adminKey, { email: 'bob@example.com' });
    tiny = await createUserWithKey(s.t.url, s.adminKey, { email: 'tiny@example.com', plan: 'tiny' });
  });
  after(() => s.t.close());

  it('stores, lists, downloads and deletes reference audio', async () => {
    const wav = toneWav(1);
    const stored = await uploaded(s.t.url, alice.key, 'reference_audio', wav, 'my voice.wav');
    assert.match(stored.id ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(stored.name, 'my voice.wav');
    assert.equal(stored.content_type, 'audio/wav');
    assert.equal(stored.size_bytes, wav.length);
    assert.equal(stored.owner_id, alice.id);
    assert.equal(stored.metadata['format'], 'wav');
    assert.ok(Math.abs(Number(stored.metadata['duration_seconds']) - 1) < 0.01);

    const listed = await listing(s.t.url, alice.key, 'reference_audio');
    assert.deepEqual(
      listed.files.map((file) => file.id),
      [stored.id],
    );
    assert.equal(listed.total, 1);

    const got = await download(s.t.url, alice.key, `/files/reference_audio/${stored.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'audio/wav');
    assert.equal(got.headers.get('accept-ranges'), 'bytes');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(got.bytes.equals(wav));

    // On disk it is named by its id, never by the client's name.
    const onDisk = await readdir(join(s.t.dir, 'reference_audio', '.store'));
    assert.deepEqual(onDisk, [stored.id]);

    const deleted = await fetch(`${s.t.url}/files/reference_audio/${stored.id}`, {
      method: 'DELETE',
      headers: bearer(alice.key),
    });
    assert.equal(deleted.status, 200);
    const gone = await fetch(`${s.t.url}/files/reference_audio/${stored.id}`, { headers: bearer(alice.key) });
    assert.equal(gone.status, 404);
    assert.equal(await errorCodeOf(gone), 'NOT_FOUND');
    assert.deepEqual(await readdir(join(s.t.dir, 'reference_audio', '.store')), []);
  });

  it('stores voice definitions as JSON or YAML with their content type', async () => {
    const json = await uploaded(
      s.t.url,
      alice.key,
      'voices',
      Buffer.from(JSON.stringify(VOICE)),
      'narrator.json',
    );
    assert.equal(json.content_type, 'application/json');
    assert.equal(json.metadata['voice'], 'narrator');
    const yamlText = 'name: storyteller\nengine: espeak\nengine_voice_id: en-gb\nlanguage: en-gb\n';
    const yaml = await uploaded(s.t.url, alice.key, 'voices', Buffer.from(yamlText), 'teller.yaml');
    assert.equal(yaml.content_type, 'application/yaml');
    const got = await download(s.t.url, alice.key, `/files/voices/${yaml.id}`);
    assert.equal(got.headers.get('content-type'), 'application/yaml');
    assert.equal(got.bytes.toString('utf8'), yamlText);
    const { files } = await listing(s.t.url, alice.key, 'voices');
    assert.deepEqual(files.map((file) => file.name).sort(), ['narrator.json', 'teller.yaml']);
    for (const file of files) {
      const response = await fetch(`${s.t.url}/files/voices/${file.id}`, {
        method: 'DELETE',
        headers: bearer(alice.key),
      });
      assert.equal(response.status, 200);
    }
  });

  it('stores any bytes in outputs as application/octet-stream, audio as audio', async () => {
    const bytes = randomBytes(3000);
    const stored = await uploaded(s.t.url, alice.key, 'outputs', bytes, 'data.bin');
    assert.equal(stored.content_type, 'application/octet-stream');
    const got = await download(s.t.url, alice.key, `/files/outputs/${stored.id}`);
    assert.ok(got.bytes.equals(bytes));
    const audio = await uploaded(s.t.url, alice.key, 'outputs', toneWav(0.5), 'take.html');
    assert.equal(audio.content_type, 'audio/wav', 'the type comes from the bytes, not the name');
    for (const id of [stored.id, audio.id]) {
      await fetch(`${s.t.url}/files/outputs/${id}`, { method: 'DELETE', headers: bearer(alice.key) });
    }
  });

  it('answers Range requests with 206 and a range past the end with 416', async () => {
    const bytes = randomBytes(1000);
    const stored = await uploaded(s.t.url, alice.key, 'outputs', bytes);
    const path = `/files/outputs/${stored.id}`;

    const first = await download(s.t.url, alice.key, path, { Range: 'bytes=0-99' });
    assert.equal(first.status, 206);
    assert.equal(first.headers.get('content-range'), 'bytes 0-99/1000');
    assert.equal(first.headers.get('content-length'), '100');
    assert.ok(first.bytes.equals(bytes.subarray(0, 100)));

    const suffix = await download(s.t.url, alice.key, path, { Range: 'bytes=-100' });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.headers.get('content-range'), 'bytes 900-999/1000');
    assert.ok(suffix.bytes.equals(bytes.subarray(900)));

    const open = await download(s.t.url, alice.key, path, { Range: 'bytes=950-' });
    assert.equal(open.status, 206);
    assert.equal(open.headers.get('content-range'), 'bytes 950-999/1000');
    assert.ok(open.bytes.equals(bytes.subarray(950)));

    const clipped = await download(s.t.url, alice.key, path, { Range: 'bytes=990-5000' });
    assert.equal(clipped.headers.get('content-range'), 'bytes 990-999/1000');

    const outside = await fetch(`${s.t.url}${path}`, {
      headers: { ...bearer(alice.key), Range: 'bytes=1000-' },
    });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get('content-range'), 'bytes */1000');
    assert.equal(await errorCodeOf(outside), 'RANGE_NOT_SATISFIABLE');

    const several = await download(s.t.url, alice.key, path, { Range: 'bytes=0-1,5-6' });
    assert.equal(several.status, 200, 'several ranges: the whole file');
    assert.equal(several.bytes.length, 1000);
  });

  it('names the download safely in Content-Disposition', async () => {
    // The form's name field wins over the part's filename (which FormData percent-encodes quotes in).
    const answer = await upload(s.t.url, alice.key, 'outputs', randomBytes(10), { name: 'say "hi" ünï.bin' });
    const stored = answer.body.data;
    assert.equal(stored.name, 'say "hi" ünï.bin');
    const fromFilename = await uploaded(s.t.url, alice.key, 'outputs', randomBytes(10), 'ünï.bin');
    assert.equal(fromFilename.name, 'ünï.bin', 'UTF-8 filenames arrive intact');
    const got = await download(s.t.url, alice.key, `/files/outputs/${stored.id}`);
    const disposition = got.headers.get('content-disposition') ?? '';
    assert.match(disposition, /^attachment; filename="say _hi_ _n_\.bin"; filename\*=UTF-8''/);
    const encoded = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? '';
    assert.equal(decodeURIComponent(encoded), 'say "hi" ünï.bin');

    const climbing = await upload(s.t.url, alice.key, 'outputs', randomBytes(10), {
      name: '../../etc/passwd',
    });
    assert.equal(climbing.body.data.name, 'passwd', 'a name is metadata: its folders are dropped');
  });

  it('hides another user’s file (404) and shows admins every file', async () => {
    const stored = await uploaded(s.t.url, alice.key, 'reference_audio', toneWav(0.5), 'alice.wav');
    const path = `/files/reference_audio/${stored.id}`;

    const read = await fetch(`${s.t.url}${path}`, { headers: bearer(bob.key) });
    assert.equal(read.status, 404);
    assert.equal(await errorCodeOf(read), 'NOT_FOUND');
    const removal = await fetch(`${s.t.url}${path}`, { method: 'DELETE', headers: bearer(bob.key) });
    assert.equal(removal.status, 404);
    assert.deepEqual((await listing(s.t.url, bob.key, 'reference_audio')).files, []);
    // The id is not found under another folder either.
    assert.equal((await download(s.t.url, alice.key, `/files/outputs/${stored.id}`)).status, 404);

    const adminList = await listing(s.t.url, s.adminKey, 'reference_audio');
    assert.ok(adminList.files.some((file) => file.id === stored.id && file.owner_id === alice.id));
    const adminRead = await download(s.t.url, s.adminKey, path);
    assert.equal(adminRead.status, 200);

    // Still there for its owner after bob's attempts.
    assert.equal((await download(s.t.url, alice.key, path)).status, 200);
  });

  it('checks path parameters before any lookup', async () => {
    const badId = await fetch(`${s.t.url}/files/outputs/not%20an%20id`, { headers: bearer(alice.key) });
    assert.equal(badId.status, 400);
    assert.equal(await errorCodeOf(badId), 'VALIDATION_FAILED');
    const unknownId = await fetch(`${s.t.url}/files/outputs/abc`, { headers: bearer(alice.key) });
    assert.equal(unknownId.status, 404);
    const unknownFolder = await fetch(`${s.t.url}/files/secrets/abc`, { headers: bearer(alice.key) });
    assert.equal(unknownFolder.status, 404);
    assert.equal(await errorCodeOf(unknownFolder), 'NOT_FOUND');
    const paging = await fetch(`${s.t.url}/files/outputs?limit=0`, { headers: bearer(alice.key) });
    assert.equal(paging.status, 400);
  });

  it('refuses a store past the plan’s storage quota with 413 STORAGE_QUOTA_EXCEEDED', async () => {
    const first = await uploaded(s.t.url, tiny.key, 'outputs', randomBytes(15_000));
    const over = await upload(s.t.url, tiny.key, 'outputs', randomBytes(10_000));
    assert.equal(over.status, 413);
    assert.equal(over.body.metadata.error_code, 'STORAGE_QUOTA_EXCEEDED');
    assert.match(over.body.message, /storage quota of 20000 bytes/);
    const { files } = await listing(s.t.url, tiny.key, 'outputs');
    assert.deepEqual(
      files.map((file) => file.id),
      [first.id],
      'the refused file is not kept',
    );
    const storeDir = await readdir(join(s.t.dir, 'outputs', '.store'));
    assert.ok(storeDir.every((name) => !name.endsWith('.part')));

    await fetch(`${s.t.url}/files/outputs/${first.id}`, { method: 'DELETE', headers: bearer(tiny.key) });
    const fits = await upload(s.t.url, tiny.key, 'outputs', randomBytes(10_000));
    assert.equal(fits.status, 201, 'deleting frees the room');
  });

  it('lets only what fits through when uploads race for the last of the quota', async () => {
    const racer = await createUserWithKey(s.t.url, s.adminKey, { email: 'racer@example.com', plan: 'tiny' });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => upload(s.t.url, racer.key, 'outputs', randomBytes(8_000))),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [201, 201, 413, 413, 413]);
    const usage = await s.t.gateway.app.get(FileStorageService).usage(racer.id);
    assert.deepEqual(usage, { usedBytes: 16_000, quotaBytes: TINY_QUOTA });
  });

  it('stores from a stream or a buffer, and refuses a new output to an owner at the quota', async () => {
    const storage = s.t.gateway.app.get(FileStorageService);
    const filler = await createUserWithKey(s.t.url, s.adminKey, {
      email: 'filler@example.com',
      plan: 'tiny',
    });
    const streamed = await storage.store({
      ownerId: filler.id,
      folder: 'outputs',
      name: 'streamed.bin',
      contentType: 'application/octet-stream',
      source: Readable.from([randomBytes(6_000), randomBytes(6_000)]),
    });
    assert.equal(streamed.sizeBytes, 12_000);
    await assert.rejects(
      storage.store({
        ownerId: filler.id,
        folder: 'outputs',
        name: 'too-much.bin',
        contentType: 'application/octet-stream',
        source: Readable.from([randomBytes(6_000), randomBytes(6_000)]),
      }),
      (error: Error & { code?: string }) => error.code === 'STORAGE_QUOTA_EXCEEDED',
    );
    const buffered = await storage.store({
      ownerId: filler.id,
      folder: 'outputs',
      name: 'rest.bin',
      contentType: 'application/octet-stream',
      source: randomBytes(TINY_QUOTA - 12_000),
    });
    assert.equal(buffered.sizeBytes, TINY_QUOTA - 12_000);
    await assert.rejects(
      storage.createOutput({ ownerId: filler.id, name: 'job.wav', contentType: 'audio/wav' }),
      (error: Error & { code?: string }) => error.code === 'STORAGE_QUOTA_EXCEEDED',
    );
    const left = await readdir(join(s.t.dir, 'outputs', '.store'));
    assert.ok(
      left.every((name) => !name.endsWith('.part')),
      'no partial file left behind',
    );
  });

  it('refuses an upload past max_upload_size_mb with 413 FILE_TOO_LARGE', async () => {
    const answer = await upload(s.t.url, alice.key, 'outputs', randomBytes(1024 * 1024 + 10));
    assert.equal(answer.status, 413);
    assert.equal(answer.body.metadata.error_code, 'FILE_TOO_LARGE');
  });

  it('sniffs reference audio: not audio is 415, too long is 413, empty is 400', async () => {
    const text = await upload(s.t.url, alice.key, 'reference_audio', Buffer.from('<html>not audio</html>'), {
      filename: 'fake.wav',
    });
    assert.equal(text.status, 415);
    assert.equal(text.body.metadata.error_code, 'UNSUPPORTED_MEDIA_TYPE');

    const long = await upload(s.t.url, alice.key, 'reference_audio', toneWav(5), { filename: 'long.wav' });
    assert.equal(long.status, 413);
    assert.equal(long.body.metadata.error_code, 'AUDIO_TOO_LONG');
    assert.match(long.body.message, /reference_audio\.max_audio_seconds/);

    const empty = await upload(s.t.url, alice.key, 'reference_audio', Buffer.alloc(0));
    assert.equal(empty.status, 400);
    assert.equal(empty.body.metadata.error_code, 'INVALID_AUDIO');

    const broken = Buffer.concat([toneWav(1).subarray(0, 44), Buffer.from('RIFFWAVE')]);
    const truncated = await upload(s.t.url, alice.key, 'reference_audio', broken.subarray(0, 40));
    assert.ok([400, 415].includes(truncated.status), `truncated: ${truncated.status}`);
  });

  it('validates voice definitions (400 naming what is wrong)', async () => {
    const syntax = await upload(s.t.url, alice.key, 'voices', Buffer.from('{"name": "x",'));
    assert.equal(syntax.status, 400);
    assert.equal(syntax.body.metadata.error_code, 'VALIDATION_FAILED');
    const missing = await upload(s.t.url, alice.key, 'voices', Buffer.from(JSON.stringify({ name: 'x' })));
    assert.equal(missing.status, 400);
    assert.match(JSON.stringify(missing.body.data), /engine_voice_id/);
    const extra = await upload(
      s.t.url,
      alice.key,
      'voices',
      Buffer.from(JSON.stringify({ ...VOICE, cmd: 'x' })),
    );
    assert.equal(extra.status, 400);
    const list = await upload(s.t.url, alice.key, 'voices', Buffer.from('- one\n- two\n'));
    assert.equal(list.status, 400);
    const big = await upload(s.t.url, alice.key, 'voices', Buffer.alloc(70 * 1024, 0x20));
    assert.equal(big.status, 413);
  });

  it('asks for multipart uploads', async () => {
    const response = await fetch(`${s.t.url}/files/outputs`, {
      method: 'POST',
      headers: { ...bearer(alice.key), 'Content-Type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    assert.equal(response.status, 400);
    assert.equal(await errorCodeOf(response), 'VALIDATION_FAILED');
  });

  it('pages the listing, newest first, with the total in X-Total-Count', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1)
      ids.push((await uploaded(s.t.url, bob.key, 'outputs', randomBytes(10))).id ?? '');
    const page = await listing(s.t.url, bob.key, 'outputs', '?limit=2&offset=1');
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.files.map((file) => file.id),
      [ids[1], ids[0]],
    );
  });

  it('lists the caller’s reference audio names at the legacy GET /get_reference_files', async () => {
    await uploaded(s.t.url, bob.key, 'reference_audio', toneWav(0.5), 'bob-ref.wav');
    const response = await fetch(`${s.t.url}/get_reference_files`, { headers: bearer(bob.key) });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), ['bob-ref.wav']);
    const aliceNames = (await (
      await fetch(`${s.t.url}/get_reference_files`, { headers: bearer(alice.key) })
    ).json()) as string[];
    assert.ok(!aliceNames.includes('bob-ref.wav'));
    const anonymous = await fetch(`${s.t.url}/get_reference_files`);
    assert.equal(anonymous.status, 401);
  });

  it('shows files an operator put in a folder to admins only', async () => {
    await writeFile(join(s.t.dir, 'voices', 'house.yaml'), 'name: house\n');
    const admin = await listing(s.t.url, s.adminKey, 'voices');
    const house = admin.files.find((file) => file.name === 'house.yaml');
    assert.equal(house?.source, 'operator');
    assert.equal(house?.id, null);
    const user = await listing(s.t.url, alice.key, 'voices');
    assert.ok(!user.files.some((file) => file.name === 'house.yaml'));
  });

  it('writes an output incrementally: listed as writing, downloadable once committed', async () => {
    const storage = s.t.gateway.app.get(FileStorageService);
    const writer = await storage.createOutput({
      ownerId: alice.id,
      name: 'long.raw',
      contentType: 'audio/pcm',
    });
    const parts = [randomBytes(64 * 1024), randomBytes(64 * 1024), randomBytes(100)];
    await writer.append(parts[0]);
    const during = await listing(s.t.url, alice.key, 'outputs');
    assert.equal(during.files.find((file) => file.id === writer.id)?.status, 'writing');
    const early = await fetch(`${s.t.url}/files/outputs/${writer.id}`, { headers: bearer(alice.key) });
    assert.equal(early.status, 409);
    await writer.append(parts[1]);
    await writer.append(parts[2]);
    const done = await writer.commit({ duration_seconds: 12.5 });
    assert.equal(done.status, 'ready');
    assert.equal(done.sizeBytes, 128 * 1024 + 100);
    assert.equal(done.metadata['duration_seconds'], 12.5);
    const got = await download(s.t.url, alice.key, `/files/outputs/${writer.id}`);
    assert.ok(got.bytes.equals(Buffer.concat(parts)));

    const abandoned = await storage.createOutput({ ownerId: alice.id, name: 'x', contentType: 'audio/wav' });
    await abandoned.append(randomBytes(10));
    await abandoned.discard();
    assert.equal((await download(s.t.url, alice.key, `/files/outputs/${abandoned.id}`)).status, 404);
    await assert.rejects(
      storage
        .createOutput({ ownerId: tiny.id, name: 'x', contentType: 'audio/wav', maxBytes: 5 })
        .then(async (w) => {
          try {
            await w.append(randomBytes(6));
          } finally {
            await w.discard();
          }
        }),
      (error: Error & { code?: string }) => error.code === 'FILE_TOO_LARGE',
    );
  });

  it('purges outputs past outputs.retention_days and keeps other folders', async () => {
    const output = await uploaded(s.t.url, alice.key, 'outputs', randomBytes(100));
    const reference = await uploaded(s.t.url, alice.key, 'reference_audio', toneWav(0.5));
    const sweeper = s.t.gateway.app.get(FileRetentionService);

    const tooSoon = await sweeper.sweep(new Date(Date.now() + 6 * DAY_MS));
    assert.equal(tooSoon?.expiredOutputs, 0);
    assert.equal((await download(s.t.url, alice.key, `/files/outputs/${output.id}`)).status, 200);

    const later = await sweeper.sweep(new Date(Date.now() + 8 * DAY_MS));
    assert.ok((later?.expiredOutputs ?? 0) >= 1);
    assert.equal((await download(s.t.url, alice.key, `/files/outputs/${output.id}`)).status, 404);
    assert.ok(!(await readdir(join(s.t.dir, 'outputs', '.store'))).includes(output.id ?? ''));
    assert.equal((await download(s.t.url, alice.key, `/files/reference_audio/${reference.id}`)).status, 200);
  });

  it('removes bytes no row names once they are an hour old', async () => {
    const orphan = '00000000-0000-4000-8000-000000000000';
    await writeFile(join(s.t.dir, 'voices', '.store', orphan), 'left behind');
    const sweeper = s.t.gateway.app.get(FileRetentionService);
    const soon = await sweeper.sweep(new Date());
    assert.ok((await readdir(join(s.t.dir, 'voices', '.store'))).includes(orphan));
    assert.equal(soon?.orphanBlobs, 0);
    const later = await sweeper.sweep(new Date(Date.now() + 2 * 60 * 60 * 1000));
    assert.equal(later?.orphanBlobs, 1);
    assert.ok(!(await readdir(join(s.t.dir, 'voices', '.store'))).includes(orphan));
  });
});

describe('files on the embedded database', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ database: 'embedded' });
  });
  after(() => t.close());

  it('stores, ranges, lists and deletes', async () => {
    const bytes = randomBytes(500);
    const stored = await uploaded(t.url, 'dev', 'outputs', bytes, 'out.bin');
    const part = await download(t.url, 'dev', `/files/outputs/${stored.id}`, { Range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.ok(part.bytes.equals(bytes.subarray(100, 200)));
    const { files } = await listing(t.url, 'dev', 'outputs');
    assert.ok(files.some((file) => file.id === stored.id));
    const deleted = await fetch(`${t.url}/files/outputs/${stored.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    const storage = t.gateway.app.get(FileStorageService);
    assert.equal((await storage.usage(stored.owner_id ?? 0)).usedBytes, 0);
  });
});
