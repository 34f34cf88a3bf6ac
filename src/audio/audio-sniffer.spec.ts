import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { id3TagLength, sniffAudioFile, sniffAudioType } from './audio-sniffer.js';
import { encodeWav } from './wav.js';

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );

/** A syncsafe ID3v2.4 header announcing `size` bytes of frames. */
function id3(size: number): Buffer {
  return bytes('ID3', [4, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
}

describe('sniffAudioType', () => {
  it('knows each container by its signature', () => {
    assert.equal(sniffAudioType(encodeWav(new Int16Array(10), 16000)), 'wav');
    assert.equal(sniffAudioType(bytes('fLaC', [0, 0, 0, 34])), 'flac');
    assert.equal(sniffAudioType(bytes('OggS', [0, 2])), 'ogg');
    assert.equal(sniffAudioType(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f])), 'webm');
    assert.equal(sniffAudioType(bytes([0, 0, 0, 0x20], 'ftypM4A ', [0, 0])), 'm4a');
    assert.equal(sniffAudioType(bytes([0xff, 0xfb, 0x90, 0x64])), 'mp3'); // MPEG-1 layer III, 128k, 44.1k
    assert.equal(sniffAudioType(bytes([0xff, 0xf1, 0x50, 0x80])), 'aac'); // ADTS
  });

  it('refuses what only looks like audio', () => {
    assert.equal(sniffAudioType(Buffer.from('RIFF\0\0\0\0AVI LIST')), null); // RIFF but not WAVE
    assert.equal(sniffAudioType(Buffer.from('hello, this is text')), null);
    assert.equal(sniffAudioType(bytes([0xff, 0xfb, 0xf0, 0x64])), null); // bitrate index 1111 is invalid
    assert.equal(sniffAudioType(bytes([0xff, 0xeb, 0x90, 0x64])), null); // MPEG version "reserved"
    assert.equal(sniffAudioType(Buffer.alloc(0)), null);
  });

  it('measures an ID3v2 tag from its syncsafe size', () => {
    assert.equal(id3TagLength(id3(300)), 310);
    assert.equal(id3TagLength(Buffer.from('fLaC')), 0);
  });
});

describe('sniffAudioFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-sniff-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('skips an ID3 tag (cover art) to find the MP3 frames, or FLAC, behind it', async () => {
    const mp3 = join(dir, 'tagged.mp3');
    await writeFile(
      mp3,
      Buffer.concat([id3(5000), Buffer.alloc(5000, 0x41), bytes([0xff, 0xfb, 0x90, 0x64])]),
    );
    assert.equal(await sniffAudioFile(mp3), 'mp3');
    const flac = join(dir, 'tagged.flac');
    await writeFile(flac, Buffer.concat([id3(20), Buffer.alloc(20), Buffer.from('fLaC')]));
    assert.equal(await sniffAudioFile(flac), 'flac');
    const text = join(dir, 'tagged.txt');
    await writeFile(text, Buffer.concat([id3(20), Buffer.alloc(20), Buffer.from('not audio')]));
    assert.equal(await sniffAudioFile(text), null);
  });
});
