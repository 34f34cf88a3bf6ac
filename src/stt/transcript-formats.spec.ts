import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cueTimestamp, monotonicCues, toSrt, toVtt } from './transcript-formats.js';

const segments = [
  { text: 'he was not an ill disposed young man', start: 0.21, end: 2.79 },
  { text: 'he might even have been made amiable himself', start: 4.71, end: 7.5 },
];

describe('transcript formats', () => {
  it('writes hh:mm:ss with milliseconds', () => {
    assert.equal(cueTimestamp(0, ','), '00:00:00,000');
    assert.equal(cueTimestamp(3725.0456, '.'), '01:02:05.046');
    assert.equal(cueTimestamp(-1, ','), '00:00:00,000');
  });

  it('writes SubRip cues, numbered, blank line between', () => {
    assert.equal(
      toSrt(segments),
      '1\n00:00:00,210 --> 00:00:02,790\nhe was not an ill disposed young man\n\n' +
        '2\n00:00:04,710 --> 00:00:07,500\nhe might even have been made amiable himself\n',
    );
  });

  it('writes WebVTT with its header and dotted milliseconds', () => {
    assert.equal(
      toVtt(segments),
      'WEBVTT\n\n00:00:00.210 --> 00:00:02.790\nhe was not an ill disposed young man\n\n' +
        '00:00:04.710 --> 00:00:07.500\nhe might even have been made amiable himself\n',
    );
    assert.equal(toVtt([]), 'WEBVTT\n');
  });

  it('makes cue times monotonic and drops empty segments', () => {
    const cues = monotonicCues([
      { text: 'second', start: 2, end: 3 },
      { text: 'first', start: 0, end: 2.5 },
      { text: '  ', start: 4, end: 5 },
      { text: 'instant', start: 3, end: 3 },
    ]);
    assert.deepEqual(
      cues.map((c) => [c.text, c.start, c.end]),
      [
        ['first', 0, 2.5],
        ['second', 2.5, 3],
        ['instant', 3, 3.001],
      ],
    );
  });
});
