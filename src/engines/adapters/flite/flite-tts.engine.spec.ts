import assert from 'node:assert/strict';
import { it } from 'node:test';
import { rejectsWithKind, throwsNamingOption } from '../../testing/engine-assertions.js';
import { TEST_ENGINE_CONTEXT } from '../../testing/test-engine-context.js';
import { runTtsEngineContract } from '../../testing/tts-engine.contract.js';
import { fliteTtsEngineFactory } from './flite-tts.engine.js';

const make = (options: Record<string, unknown> = {}) =>
  fliteTtsEngineFactory.create({ id: 'flite', options }, TEST_ENGINE_CONTEXT);

runTtsEngineContract('flite', () => make(), { voiceId: 'slt' });

void it('lists its voices with language and gender, without kal (8 kHz) and awb_time', async () => {
  const voices = (await make().listVoices()).map((v) => `${v.id}:${v.language}:${v.gender}`);
  assert.equal(voices.join(' '), 'slt:en-us:female rms:en-us:male awb:en-gb-scotland:male kal16:en-us:male');
});

void it('is unavailable with the install hint when the program is missing', async () => {
  const engine = make({ binary: 'no-such-flite' });
  assert.match((await engine.health()).reason ?? '', /apt-get install flite/);
  await rejectsWithKind(
    engine.synthesize({ text: 'hi', voiceId: 'slt' }, AbortSignal.timeout(5000)),
    'unavailable',
  );
});

void it('refuses unknown options, naming them', () =>
  throwsNamingOption(() => make({ voice: 'slt' }), 'options.voice'));
