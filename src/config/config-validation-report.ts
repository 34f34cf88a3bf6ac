import type { AppliedOverride } from './env-overrides.js';

/** What GET /config/validation shows: the state of the last load attempt. */
export interface ConfigValidationReport {
  valid: boolean;
  /** Why the last attempt was refused; empty when it was applied. */
  errors: string[];
  /** Deprecated keys the live config uses, each with its replacement (accepted, not errors). */
  warnings: string[];
  source: 'startup' | 'file' | 'patch';
  last_attempt_at: string;
  last_applied_at: string;
  /** Environment variables that override keys of the file. */
  env_overrides: AppliedOverride[];
  config_path: string;
}
