import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFileAtomically } from './config-file.writer.js';

describe('writeFileAtomically', () => {
  it('replaces the file whole, keeps its mode and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sg-writer-'));
    try {
      const path = join(dir, 'config.yaml');
      await writeFile(path, 'a: 1\n', { mode: 0o640 });
      await writeFileAtomically(path, 'a: 2\n');
      assert.equal(await readFile(path, 'utf8'), 'a: 2\n');
      assert.equal((await stat(path)).mode & 0o777, 0o640);
      assert.deepEqual(await readdir(dir), ['config.yaml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
