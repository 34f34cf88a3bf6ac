import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectSsml, SsmlRefused, ssmlLimitViolation } from './ssml-inspector.js';

const LIMITS = { maxBreakSeconds: 10, maxTotalPauseSeconds: 60, minProsodyRatePercent: 50 };
const refused = (text: string, pattern: RegExp) =>
  assert.throws(
    () => inspectSsml(text),
    (error: unknown) => error instanceof SsmlRefused && pattern.test(error.message),
  );

describe('inspectSsml', () => {
  it('adds up break times in seconds and milliseconds, any case', () => {
    const inspection = inspectSsml(
      '<speak>a<break time="2s"/>b<break time="500ms"/>c<BREAK time="1.5S"/>d<break time=\'3s\'></break></speak>',
    );
    assert.equal(inspection.longestPauseSeconds, 3);
    assert.equal(inspection.totalPauseSeconds, 7);
    assert.equal(inspection.slowestRate, 1);
  });

  it('counts strengths and bare breaks; time wins over strength by taking the longer', () => {
    const inspection = inspectSsml('<break strength="x-strong"/><break/><break strength="none" time="4s"/>');
    assert.equal(inspection.longestPauseSeconds, 4);
    assert.equal(inspection.totalPauseSeconds, 1.5 + 0.75 + 4);
  });

  it('reads attributes where espeak-ng finds them, even inside another attribute', () => {
    // espeak-ng takes the first " time" it sees: inside foo's value. The longest reading counts.
    assert.equal(inspectSsml('<break foo="x time=600s " time="1s"/>').longestPauseSeconds, 600);
    refused('<break foo=" time=600s" time="1s"/>', /not a time/);
    // A comment ends at the first '>', as in espeak-ng: the break after it is real.
    assert.equal(inspectSsml('<!-- > <break time="9s"/> -->').totalPauseSeconds, 9);
    // An unterminated tag still acts.
    assert.equal(inspectSsml('a <break time="7s"').totalPauseSeconds, 7);
  });

  it('leaves text and unknown tags alone', () => {
    assert.deepEqual(inspectSsml('1 < 2 and <p>text</p> <mark name="x"/> &lt;break time="600s"/&gt;'), {
      longestPauseSeconds: 0,
      totalPauseSeconds: 0,
      slowestRate: 1,
    });
  });

  it('multiplies nested prosody rates and restores them on close', () => {
    const inspection = inspectSsml(
      '<prosody rate="x-slow">a<prosody rate="80%">b</prosody></prosody><prosody rate="-10%">c</prosody>',
    );
    assert.equal(Math.round(inspection.slowestRate * 100), 48);
    assert.equal(inspectSsml('<prosody rate="0.5">a</prosody>').slowestRate, 0.5);
    assert.equal(inspectSsml('<prosody rate="+50%">a</prosody>').slowestRate, 1);
    assert.equal(inspectSsml('<prosody rate="-12st">a</prosody>').slowestRate, 0.5);
    // A self-closing prosody changes nothing (espeak-ng ignores it).
    assert.equal(inspectSsml('<prosody rate="10%"/>a').slowestRate, 1);
    // Named rates are relative to the voice's rate, not to the rate in force.
    assert.equal(
      inspectSsml('<prosody rate="x-slow"><prosody rate="x-slow">a</prosody></prosody>').slowestRate,
      0.6,
    );
  });

  it('refuses markup it cannot read for certain, and <audio>', () => {
    refused('<break time="10"/>', /not a time/);
    refused('<break time="1e9ms"/>', /not a time/);
    refused('<break time=" 5s"/>', /not a time/);
    refused('<break strength="huge"/>', /not a strength/);
    refused('<prosody rate="slowest">a</prosody>', /not a rate/);
    refused('<speak><audio src="/etc/passwd"/></speak>', /<audio>/);
    refused('<AUDIO src="x.wav">a</AUDIO>', /<audio>/);
    refused(`<p ${'x'.repeat(300)}>`, /longer than/);
    refused('<p a="<break time=\'600s\'/>">', /contains '<'/);
  });
});

describe('ssmlLimitViolation', () => {
  it('names the limit that is exceeded', () => {
    assert.match(
      ssmlLimitViolation(inspectSsml('a<break time="600s"/>b'), LIMITS) ?? '',
      /600 s .* 10 s allowed \(routers\.core\.tts\.ssml\.max_break_seconds\)/,
    );
    assert.match(
      ssmlLimitViolation(inspectSsml('<break time="9s"/>'.repeat(7)), LIMITS) ?? '',
      /63 s, more than the 60 s allowed/,
    );
    assert.match(
      ssmlLimitViolation(inspectSsml('<prosody rate="10%">a</prosody>'), LIMITS) ?? '',
      /10% is slower than the 50% allowed/,
    );
    assert.equal(
      ssmlLimitViolation(inspectSsml('<prosody rate="x-slow">a<break time="10s"/></prosody>'), LIMITS),
      undefined,
    );
  });
});
