import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../common/app-error.js';
import { AppConfig, PlanConfig } from '../config/config.schema.js';
import { assertPlanAllows, isPlanName, planOf } from './plan-policy.js';

function plan(overrides: Partial<PlanConfig>): PlanConfig {
  return Object.assign(new PlanConfig(), overrides);
}

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'PLAN_FEATURE_DISABLED');
    assert.equal(error.status, 403);
    return (error.details as { feature: string }).feature;
  }
  return 'allowed';
}

describe('plan feature gates', () => {
  it('refuses streaming, cloning, other engines and long text when the plan lacks them', () => {
    const free = plan({ streamingAllowed: false, enginesAllowed: ['espeak'], maxTextLength: 10 });
    assert.equal(
      refusal(() => assertPlanAllows('free', free, { streaming: true })),
      'streaming',
    );
    assert.equal(
      refusal(() => assertPlanAllows('free', free, { voiceCloning: true })),
      'voice_cloning',
    );
    assert.equal(
      refusal(() => assertPlanAllows('free', free, { engine: 'openai' })),
      'engine',
    );
    assert.equal(
      refusal(() => assertPlanAllows('free', free, { textLength: 11 })),
      'max_text_length',
    );
    assert.equal(
      refusal(() => assertPlanAllows('free', free, { engine: 'espeak', textLength: 10 })),
      'allowed',
    );
  });

  it('treats an empty engine list and a zero text limit as unlimited', () => {
    const open = plan({ voiceCloningAllowed: true });
    assert.equal(
      refusal(() =>
        assertPlanAllows('pro', open, {
          engine: 'any',
          textLength: 1e6,
          streaming: true,
          voiceCloning: true,
        }),
      ),
      'allowed',
    );
  });

  it('gives users of a removed plan the default plan', () => {
    const config = new AppConfig();
    assert.equal(planOf(config, 'gone'), config.rateLimits.plans['free']);
    assert.equal(planOf(config, 'pro'), config.rateLimits.plans['pro']);
  });
  it('treats names every object inherits as no plan: the default plan applies', () => {
    const config = new AppConfig();
    for (const name of ['toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty']) {
      assert.equal(isPlanName(config, name), false, name);
      assert.equal(planOf(config, name), config.rateLimits.plans['free'], name);
    }
    assert.equal(isPlanName(config, 'pro'), true);
  });
});
