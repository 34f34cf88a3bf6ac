import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withTemporaryAudioFile } from './temporary-audio-file.js';

describe('withTemporaryAudioFile', () => {
  const roots: string[] = [];
  after(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));
  const newTempDir = async () => {
    const root = await mkdtemp(join(tmpdir(), 'sg-chat-audio-'));
    roots.push(root);
    return join(root, 'tmp');
  };

  it('gives the work a private file holding the audio and deletes it afterwards', async () => {
    const tempDir = await newTempDir();
    const audio = Buffer.from('RIFF audio bytes');
    const seen = await withTemporaryAudioFile(tempDir, audio, async (file) => {
      assert.equal(file.bytes, audio.length);
      assert.ok((await readFile(file.path)).equals(audio));
      assert.equal((await stat(file.path)).mode & 0o777, 0o600);
      return file.path;
    });
    assert.ok(seen.startsWith(tempDir));
    assert.deepEqual(await readdir(tempDir), []);
  });

  it('deletes the file when the work fails', async () => {
    const tempDir = await newTempDir();
    await assert.rejects(
      withTemporaryAudioFile(tempDir, Buffer.from('x'), () => Promise.reject(new Error('stt failed'))),
      /stt failed/,
    );
    assert.deepEqual(await readdir(tempDir), []);
  });
});
