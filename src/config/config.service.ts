import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppError } from '../common/app-error.js';
import { documentShapeErrors } from './config-document-shape.js';
import { writeFileAtomically } from './config-file.writer.js';
import { type ConfigParseResult, configToDocument, parseConfig } from './config.loader.js';
import type { AppConfig } from './config.schema.js';
import type { ConfigValidationReport } from './config-validation-report.js';
import type { AppliedOverride, Environment } from './env-overrides.js';
import { applyMergePatchToYaml } from './yaml-merge-patch.js';

export type ConfigChangeListener = (next: AppConfig, previous: AppConfig) => void;

/** Raised at start-up when config.yaml cannot be used: the server refuses to start. */
export class ConfigValidationError extends Error {
  constructor(
    readonly configPath: string,
    readonly errors: string[],
  ) {
    super(`Invalid configuration in ${configPath}:\n  - ${errors.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

const POLL_INTERVAL_MS = 1000;
const DEBOUNCE_MS = 50;

/**
 * Holds the live configuration. Readers call `current` each time they need a value (never
 * cache it); a reload swaps the whole frozen object at once. Edits of config.yaml apply
 * without a restart; an invalid edit is refused, logged and reported, and the last good
 * config stays live.
 */
export class ConfigService implements OnModuleDestroy {
  private config: AppConfig;
  private overrides: AppliedOverride[];
  private report: ConfigValidationReport;
  private lastSeenHash: string;
  private readonly listeners = new Set<ConfigChangeListener>();
  private watcher?: FSWatcher;
  private pollTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private lastStatSignature = '';
  /** Serialises reloads and patches so they never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private logger?: Logger;

  private constructor(
    readonly configPath: string,
    private readonly env: Environment,
    initial: Extract<ConfigParseResult, { ok: true }>,
    text: string,
  ) {
    this.config = initial.config;
    this.overrides = initial.overrides;
    this.lastSeenHash = hashOf(text);
    const now = new Date().toISOString();
    this.report = {
      valid: true,
      errors: [],
      warnings: initial.warnings,
      source: 'startup',
      last_attempt_at: now,
      last_applied_at: now,
      env_overrides: initial.overrides,
      config_path: configPath,
    };
  }

  static async load(configPath: string, env: Environment): Promise<ConfigService> {
    let text: string;
    try {
      text = await readFile(configPath, 'utf8');
    } catch (error) {
      throw new ConfigValidationError(configPath, [`cannot read the file: ${(error as Error).message}`]);
    }
    const result = parseConfig(text, env);
    if (!result.ok) throw new ConfigValidationError(configPath, result.errors);
    return new ConfigService(configPath, env, result, text);
  }

  get current(): AppConfig {
    return this.config;
  }

  get validation(): ConfigValidationReport {
    return this.report;
  }

  /** Deprecated keys the live config uses, each with its replacement. */
  get deprecationWarnings(): readonly string[] {
    return this.report.warnings;
  }

  get envOverrides(): readonly AppliedOverride[] {
    return this.overrides;
  }

  useLogger(logger: Logger): void {
    this.logger = logger;
  }

  onChange(listener: ConfigChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts following edits of the file (fs events, plus a stat poll for editors and mounts that miss them). */
  watch(): void {
    if (this.watcher || this.pollTimer) return;
    try {
      this.watcher = watch(dirname(this.configPath), (_event, filename) => {
        if (filename === null || filename === basename(this.configPath)) this.scheduleReload();
      });
      this.watcher.on('error', (error) =>
        this.logger?.warn({ err: error }, 'config watcher failed; polling only'),
      );
    } catch (error) {
      this.logger?.warn({ err: error }, 'cannot watch the config folder; polling only');
    }
    this.pollTimer = setInterval(() => void this.pollForChange(), POLL_INTERVAL_MS);
    this.pollTimer.unref();
  }

  onModuleDestroy(): void {
    this.watcher?.close();
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
    this.watcher = undefined;
    this.pollTimer = undefined;
  }

  /** Re-reads config.yaml now; resolves with whether the file's content was applied. */
  reloadFromFile(): Promise<boolean> {
    return this.enqueue(async () => {
      let text: string;
      try {
        text = await readFile(this.configPath, 'utf8');
      } catch (error) {
        this.refuse('file', [`cannot read the file: ${(error as Error).message}`]);
        return false;
      }
      // An editor that truncates then writes shows an empty file for a moment; applying it would
      // reset every setting to its default. The write that follows triggers another reload.
      if (text.trim() === '') {
        this.logger?.warn('config.yaml is empty; ignored until it has content (restart to run on defaults)');
        return false;
      }
      const hash = hashOf(text);
      if (hash === this.lastSeenHash) return this.report.valid;
      this.lastSeenHash = hash;
      const result = parseConfig(text, this.env);
      if (!result.ok) {
        this.refuse('file', result.errors);
        return false;
      }
      this.apply(result, 'file');
      return true;
    });
  }

  /**
   * Applies a JSON merge patch (snake_case keys, as in config.yaml) to the file: validated
   * first, written atomically with comments kept, then made live. Invalid → CONFIG_INVALID
   * and nothing is written.
   */
  patch(patch: Record<string, unknown>): Promise<AppConfig> {
    return this.enqueue(async () => {
      // Checked before the merge, so reserved keys never reach it (nor deletions of them the result would not show).
      const shapeErrors = documentShapeErrors(patch);
      if (shapeErrors.length > 0) throw this.refusePatch(shapeErrors);
      const text = await readFile(this.configPath, 'utf8');
      const merged = applyMergePatchToYaml(text, patch);
      if (!merged.ok) throw this.refusePatch(merged.errors);
      const nextText = merged.text;
      const result = parseConfig(nextText, this.env);
      if (!result.ok) throw this.refusePatch(result.errors);
      try {
        await writeFileAtomically(this.configPath, nextText);
      } catch (error) {
        this.logger?.error({ err: error }, 'cannot write config file');
        throw new AppError('CONFIG_WRITE_FAILED', 'The configuration file could not be written.');
      }
      this.lastSeenHash = hashOf(nextText);
      this.apply(result, 'patch');
      return this.config;
    });
  }

  private refusePatch(errors: string[]): AppError {
    this.logger?.warn({ errors }, 'config patch refused');
    return new AppError('CONFIG_INVALID', 'The configuration change is invalid; nothing was changed.', {
      errors,
    });
  }

  /** The live config as an operator writes it, with secrets replaced. */
  redactedDocument(): Record<string, unknown> {
    return redactSecrets(configToDocument(this.config)) as Record<string, unknown>;
  }

  /** Secret values present in the live config, for the log redactor. */
  secretValues(): string[] {
    return collectSecrets(configToDocument(this.config), this.env);
  }

  private apply(result: Extract<ConfigParseResult, { ok: true }>, source: 'file' | 'patch'): void {
    const previous = this.config;
    const previousWarnings = this.report.warnings;
    this.config = result.config;
    this.overrides = result.overrides;
    const now = new Date().toISOString();
    this.report = {
      valid: true,
      errors: [],
      warnings: result.warnings,
      source,
      last_attempt_at: now,
      last_applied_at: now,
      env_overrides: result.overrides,
      config_path: this.configPath,
    };
    this.logger?.info({ source, changed: changedSections(previous, this.config) }, 'configuration applied');
    // Each deprecation is logged once, not again at every later edit that keeps it.
    for (const warning of result.warnings) {
      if (!previousWarnings.includes(warning))
        this.logger?.warn({ source }, `deprecated config key: ${warning}`);
    }
    for (const listener of this.listeners) {
      try {
        listener(this.config, previous);
      } catch (error) {
        this.logger?.error({ err: error }, 'a config change listener failed');
      }
    }
  }

  private refuse(source: 'file' | 'patch', errors: string[]): void {
    this.report = {
      ...this.report,
      valid: false,
      errors,
      source,
      last_attempt_at: new Date().toISOString(),
    };
    this.logger?.error({ errors }, 'config.yaml edit refused; the last good configuration stays live');
  }

  private scheduleReload(): void {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.reloadFromFile(), DEBOUNCE_MS);
  }

  private async pollForChange(): Promise<void> {
    try {
      const s = await stat(this.configPath);
      const signature = `${s.ino}:${s.size}:${s.mtimeMs}`;
      if (signature !== this.lastStatSignature) {
        const first = this.lastStatSignature === '';
        this.lastStatSignature = signature;
        if (!first) this.scheduleReload();
      }
    } catch {
      // A missing file during an editor's save-by-rename; the next poll sees the new one.
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function changedSections(previous: AppConfig, next: AppConfig): string[] {
  const a = configToDocument(previous);
  const b = configToDocument(next);
  return Object.keys(b).filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

const SECRET_KEY = /(password|secret|token|api_?key|apikey|credential)/i;
const URL_WITH_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)([^@]+)(@.*)$/i;
export const REDACTED = '[REDACTED]';

function redactSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  }
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) && !key.endsWith('_env')) return REDACTED;
    return value.replace(URL_WITH_PASSWORD, `$1${REDACTED}$3`);
  }
  return value;
}

function collectSecrets(value: unknown, env: Environment, key = '', out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => collectSecrets(item, env, '', out));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, env, k, out);
  } else if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) {
      // `api_key_env: NAME` names the variable holding the secret: the variable's value is the secret.
      const secret = key.endsWith('_env') ? env[value] : value;
      if (secret !== undefined && secret.length >= 4) out.push(secret);
    }
    const match = URL_WITH_PASSWORD.exec(value);
    if (match) out.push(match[2]);
  }
  return out;
}
