import { AppError } from '../common/app-error.js';
import type { AppConfig, PlanConfig } from '../config/config.schema.js';

/** What a metered request uses that a plan may not allow. */
export interface PlanFeatureUse {
  streaming?: boolean;
  voiceCloning?: boolean;
  /** A conversation turn or a chat completion. */
  conversation?: boolean;
  engine?: string;
  textLength?: number;
}

/**
 * Whether `rate_limits.plans` defines a plan of this name. Own properties only: `toString`,
 * `constructor` or `__proto__` are in every object without being plans.
 */
export function isPlanName(config: AppConfig, plan: string): boolean {
  return Object.hasOwn(config.rateLimits.plans, plan);
}

/** The plan's settings; a user whose plan was removed from config gets the default plan. */
export function planOf(config: AppConfig, plan: string): PlanConfig {
  const plans = config.rateLimits.plans;
  return isPlanName(config, plan) ? plans[plan] : plans[config.rateLimits.defaultPlan];
}

function disabled(plan: string, feature: string, message: string): AppError {
  return new AppError('PLAN_FEATURE_DISABLED', `The ${plan} plan ${message}.`, { plan, feature });
}

/** Throws PLAN_FEATURE_DISABLED for the first feature the plan does not include. */
export function assertPlanAllows(planName: string, plan: PlanConfig, use: PlanFeatureUse): void {
  if (use.streaming && !plan.streamingAllowed)
    throw disabled(planName, 'streaming', 'does not include streaming');
  if (use.voiceCloning && !plan.voiceCloningAllowed) {
    throw disabled(planName, 'voice_cloning', 'does not include voice cloning');
  }
  if (use.conversation && !plan.conversationAllowed) {
    throw disabled(planName, 'conversation', 'does not include conversation (chat engines)');
  }
  if (use.engine && plan.enginesAllowed.length > 0 && !plan.enginesAllowed.includes(use.engine)) {
    throw disabled(planName, 'engine', `does not include engine '${use.engine}'`);
  }
  if (use.textLength !== undefined && plan.maxTextLength > 0 && use.textLength > plan.maxTextLength) {
    throw disabled(
      planName,
      'max_text_length',
      `allows at most ${plan.maxTextLength} characters per request`,
    );
  }
}
