import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyMergePatchToYaml, writeFileAtomically } from './config-file.writer.js';

describe('applyMergePatchToYaml', () => {
  const original = [
    '# operator notes stay',
    'middleware:',
    '  timing:',
    '    enabled: true # inline comment stays',
    '    slow_request_threshold: 5.0',
    'gen: { chunk_size: 200 }',
    'extra: keep',
    '',
  ].join('\n');

  it('changes only the patched keys and keeps comments', () => {
    const next = applyMergePatchToYaml(original, { middleware: { timing: { enabled: false } } });
    assert.match(next, /# operator notes stay/);
    assert.match(next, /enabled: false # inline comment stays/);
    assert.match(next, /slow_request_threshold: 5.0/);
    assert.match(next, /extra: keep/);
  });

  it('adds missing sections, replaces arrays and deletes keys set to null', () => {
    const next = applyMergePatchToYaml(original, {
      routers: { core: { stt: { supported_formats: ['wav'] } } },
      extra: null,
    });
    assert.match(next, /routers:\n\s+core:\n\s+stt:\n\s+supported_formats:\n\s+- wav/);
    assert.doesNotMatch(next, /extra:/);
  });
});

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
