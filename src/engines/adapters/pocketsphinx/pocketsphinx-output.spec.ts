import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePocketsphinxOutput } from './pocketsphinx-output.js';

/** pocketsphinx_continuous -time yes on two LibriVox clips with silence between (trimmed). */
const OUTPUT = `he was not an illness those young man
<s> 0.000 0.060 0.999500
<sil> 0.070 0.200 0.694306
he 0.210 0.320 0.998701
was(2) 0.330 0.540 0.999800
[SPEECH] 0.980 1.100 0.535598
man 2.330 2.790 0.905008
</s> 2.800 3.090 1.000000

<s> 3.100 3.300 1.000000
<sil> 3.310 3.900 1.000000
</s> 3.910 4.000 1.000000
he might
<s> 4.380 4.470 0.999900
he 4.710 4.870 0.997303
might 4.880 5.120 0.995609
</s> 7.510 7.770 1.000000
`;

describe('parsePocketsphinxOutput', () => {
  it('makes one segment per utterance, spanning its real words', () => {
    const { segments } = parsePocketsphinxOutput(OUTPUT);
    assert.deepEqual(segments, [
      { text: 'he was not an illness those young man', start: 0.21, end: 2.79 },
      { text: 'he might', start: 4.71, end: 5.12 },
    ]);
  });

  it('keeps words without fillers or pronunciation variants', () => {
    const { words } = parsePocketsphinxOutput(OUTPUT);
    assert.deepEqual(
      words.map((w) => w.text),
      ['he', 'was', 'man', 'he', 'might'],
    );
    assert.deepEqual(words[1], { text: 'was', start: 0.33, end: 0.54 });
  });

  it('gives nothing for silence or empty output', () => {
    assert.deepEqual(parsePocketsphinxOutput(''), { segments: [], words: [] });
    assert.deepEqual(parsePocketsphinxOutput('\n<s> 0.000 0.500 1.000000\n</s> 0.5 1.0 1\n').segments, []);
  });
});
