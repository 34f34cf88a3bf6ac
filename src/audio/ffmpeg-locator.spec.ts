import assert from 'node:assert/strict';
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { locateFfmpeg, locateNpmFfmpeg, locateSystemFfmpeg } from './ffmpeg-locator.js';

const noSystem = existsSync('/usr/bin/ffmpeg') ? false : 'no system ffmpeg on this machine';

describe('ffmpeg locator', () => {
  it('finds the system ffmpeg on PATH', { skip: noSystem }, async () => {
    const located = await locateSystemFfmpeg();
    assert.equal(located.source, 'system');
    assert.match(located.path, /\/ffmpeg$/);
    assert.match(located.version, /^\d+\.\d+/);
  });

  it('finds the npm build, executable', async () => {
    const located = await locateNpmFfmpeg();
    assert.equal(located.source, 'npm');
    assert.match(located.path, /@ffmpeg-installer\/[^/]+\/ffmpeg$/);
    await access(located.path, constants.X_OK);
    assert.ok(located.version.length > 0);
  });

  it('prefers the system ffmpeg and locates only once', async () => {
    const [first, second] = await Promise.all([locateFfmpeg(), locateFfmpeg()]);
    assert.equal(first, second);
    assert.equal(await locateFfmpeg(), first);
    assert.equal(first.source, noSystem ? 'npm' : 'system');
  });
});
