import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';
import * as yaml from 'js-yaml';
import { documentShapeErrors } from './config-document-shape.js';
import { applyDeprecatedKeys } from './deprecated-keys.js';
import { keysToCamel, keysToSnake, snakePathOf } from './config-keys.js';
import { AppConfig, PlanConfig } from './config.schema.js';
import { chatModelErrors, fallbackErrors, routeFallbackErrors } from './engine-fallback.js';
import { type AppliedOverride, applyEnvOverrides, type Environment } from './env-overrides.js';
import { KNOWN_ENGINE_TYPES } from './known-engine-types.js';
import { nestedMappingErrors } from './nested-mapping-errors.js';

export type ConfigParseResult =
  | {
      ok: true;
      config: AppConfig;
      /** The file's document, before environment overrides (what PATCH edits). */
      fileDocument: Record<string, unknown>;
      overrides: AppliedOverride[];
      /** Deprecated keys the file uses, each with its replacement. */
      warnings: string[];
    }
  | { ok: false; errors: string[] };

const VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses YAML text into the file document; syntax errors name the line. */
export function parseYamlDocument(
  text: string,
): { ok: true; document: Record<string, unknown> } | { ok: false; errors: string[] } {
  // An empty file (or one of comments only) means "all defaults"; js-yaml 5 refuses it.
  if (text.split('\n').every((line) => /^\s*(#.*)?$/.test(line))) return { ok: true, document: {} };
  let loaded: unknown;
  try {
    loaded = yaml.load(text);
  } catch (error) {
    const reason = error instanceof yaml.YAMLException ? error.message : String(error);
    return { ok: false, errors: [`config.yaml is not valid YAML: ${reason}`] };
  }
  if (loaded === undefined || loaded === null) return { ok: true, document: {} };
  if (!isRecord(loaded)) {
    return { ok: false, errors: ['config.yaml must be a mapping of sections (server:, auth:, …)'] };
  }
  return { ok: true, document: loaded };
}

/** YAML text + environment → a validated, frozen AppConfig, or every error found. */
export function parseConfig(text: string, env: Environment): ConfigParseResult {
  const parsed = parseYamlDocument(text);
  if (!parsed.ok) return parsed;
  return buildConfig(parsed.document, env);
}

export function buildConfig(fileDocument: Record<string, unknown>, env: Environment): ConfigParseResult {
  // Reserved keys never reach the readers below (a merge or lookup through them reaches Object.prototype).
  const shapeErrors = documentShapeErrors(fileDocument);
  if (shapeErrors.length > 0) return { ok: false, errors: shapeErrors };
  const current = applyDeprecatedKeys(fileDocument);
  const seeded = seedDefaultPlans(current.document);
  const { raw, applied } = applyEnvOverrides(seeded, env);
  const overriddenShapeErrors = documentShapeErrors(raw);
  if (overriddenShapeErrors.length > 0) return { ok: false, errors: overriddenShapeErrors };
  const camel = keysToCamel(raw) as Record<string, unknown>;

  const rateLimits = isRecord(camel['rateLimits']) ? camel['rateLimits'] : undefined;
  const rawPlans = rateLimits?.['plans'];
  // Plans are a name → settings map, which class-validator cannot walk; they are checked one by one below.
  if (rateLimits && rawPlans !== undefined) delete rateLimits['plans'];

  const config = plainToInstance(AppConfig, camel);
  const validation = validateSync(config, VALIDATOR_OPTIONS);
  const mappingErrors = nestedMappingErrors(config);
  // An array where a mapping belongs: what class-validator says of its items would only repeat that.
  const misplacedArrays = mappingErrors.map((line) => `${line.slice(0, line.indexOf(' '))}.`);
  const errors = [
    ...flattenErrors(validation, []).filter((line) => !misplacedArrays.some((path) => line.startsWith(path))),
    ...mappingErrors,
  ];
  let wellTyped = !hasTypeErrors(validation) && mappingErrors.length === 0;

  if (rawPlans !== undefined) {
    if (!isRecord(rawPlans) || Object.keys(rawPlans).length === 0) {
      errors.push('rate_limits.plans must be a mapping of plan name to limits with at least one plan');
      wellTyped = false;
    } else {
      const plans: Record<string, PlanConfig> = {};
      for (const [name, value] of Object.entries(rawPlans)) {
        if (!isRecord(value)) {
          errors.push(`rate_limits.plans.${name} must be a mapping of limits`);
          wellTyped = false;
          continue;
        }
        const plan = plainToInstance(PlanConfig, value);
        const planValidation = validateSync(plan, VALIDATOR_OPTIONS);
        errors.push(...flattenErrors(planValidation, ['rateLimits', 'plans', name]));
        if (hasTypeErrors(planValidation)) wellTyped = false;
        plans[name] = plan;
      }
      config.rateLimits.plans = plans;
    }
  }
  // Cross-field rules read the typed shape; they run only once every value has its declared type.
  if (wellTyped) errors.push(...crossFieldErrors(config));
  annotateEnvSources(errors, applied);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: deepFreeze(config),
    fileDocument,
    overrides: applied,
    warnings: current.warnings,
  };
}

function seedDefaultPlans(document: Record<string, unknown>): Record<string, unknown> {
  const limits = document['rate_limits'];
  if (isRecord(limits) && limits['plans'] !== undefined) return document;
  const defaults = keysToSnake(JSON.parse(JSON.stringify(new AppConfig().rateLimits.plans))) as Record<
    string,
    unknown
  >;
  return { ...document, rate_limits: { ...(isRecord(limits) ? limits : {}), plans: defaults } };
}

function crossFieldErrors(config: AppConfig): string[] {
  const errors: string[] = [];
  // Own properties only: `toString` or `constructor` is in every object without being a plan.
  if (!Object.hasOwn(config.rateLimits.plans, config.rateLimits.defaultPlan)) {
    errors.push(
      `rate_limits.default_plan names plan '${config.rateLimits.defaultPlan}', which rate_limits.plans does not define`,
    );
  }
  if (!config.auth.enforce && !Object.hasOwn(config.rateLimits.plans, config.auth.devUserPlan)) {
    errors.push(
      `auth.dev_user_plan names plan '${config.auth.devUserPlan}', which rate_limits.plans does not define`,
    );
  }
  // Ids are unique across kinds too: /circuit-breakers/{id} and X-Engine name one engine.
  const seen = new Map<string, string>();
  for (const kind of ['tts', 'stt', 'chat'] as const) {
    const known = KNOWN_ENGINE_TYPES[kind];
    config.engines[kind].forEach((entry, index) => {
      if (!known.includes(entry.type)) {
        errors.push(
          `engines.${kind}.${index}.type '${entry.type}' is not a known ${kind.toUpperCase()} engine type (one of: ${known.join(', ')})`,
        );
      }
      const first = seen.get(entry.id);
      if (first === kind) errors.push(`engines.${kind} lists engine id '${entry.id}' twice`);
      else if (first)
        errors.push(`engines.${kind} uses engine id '${entry.id}', already used in engines.${first}`);
      else seen.set(entry.id, kind);
    });
  }
  errors.push(...fallbackErrors(config.engines), ...routeFallbackErrors(config), ...chatModelErrors(config));
  if (!config.database.url && config.database.schema !== 'public') {
    // The embedded database serves every connection from one session and ignores per-connection search_path.
    errors.push('database.schema other than public needs database.url (the embedded database uses public)');
  }
  const origins = [...config.cors.allowedOrigins, ...config.server.corsOrigins];
  if (config.cors.allowCredentials && origins.includes('*')) {
    // A credentialed answer must name the origin; echoing any origin with credentials would open every account to every site.
    errors.push("cors.allow_credentials cannot be true while the allowed origins include '*'");
  }
  if (config.rateLimits.store === 'redis' && !config.rateLimits.redisUrl) {
    errors.push('rate_limits.redis_url (or REDIS_URL) is required when rate_limits.store is redis');
  }
  if (config.routers.core.jobs.queue === 'redis' && !config.rateLimits.redisUrl) {
    errors.push('rate_limits.redis_url (or REDIS_URL) is required when routers.core.jobs.queue is redis');
  }
  return errors;
}

function annotateEnvSources(errors: string[], applied: AppliedOverride[]): void {
  for (let i = 0; i < errors.length; i++) {
    const source = applied.find((o) => errors[i].startsWith(`${o.path} `));
    if (source) errors[i] = `${errors[i]} (set by ${source.variable})`;
  }
}

/** Constraints saying a value is not of its declared type (as opposed to out of range or not allowed). */
const TYPE_CONSTRAINTS = new Set([
  'isArray',
  'isBoolean',
  'isInt',
  'isNumber',
  'isObject',
  'isString',
  'isStringMap',
  'nestedValidation',
  'unknownValue',
]);

function hasTypeErrors(errors: ValidationError[]): boolean {
  return errors.some(
    (error) =>
      Object.keys(error.constraints ?? {}).some((name) => TYPE_CONSTRAINTS.has(name)) ||
      hasTypeErrors(error.children ?? []),
  );
}

/** class-validator's wording for a nested value that is not an object, in config.yaml's terms. */
function reasonOf(name: string, message: string, property: string, siblings: string[]): string | null {
  // "must be an array" already says it; what each item must be would only repeat it.
  if (name !== 'isArray' && siblings.includes('isArray') && message.startsWith('each value')) return null;
  if (name === 'nestedValidation') return 'must be a mapping';
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** class-validator's tree → one line per invalid or unknown key, named by its YAML path. */
function flattenErrors(errors: ValidationError[], parentPath: string[]): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const path = [...parentPath, error.property];
    const yamlPath = snakePathOf(path);
    const constraints = error.constraints ?? {};
    if ('whitelistValidation' in constraints) {
      lines.push(`${yamlPath} is not a known setting`);
    } else if (Object.keys(constraints).length > 0) {
      const names = Object.keys(constraints);
      const reasons = names.flatMap((name) => reasonOf(name, constraints[name], error.property, names) ?? []);
      lines.push(`${yamlPath} ${[...new Set(reasons)].join('; ')}`);
    }
    if (error.children && error.children.length > 0) {
      lines.push(...flattenErrors(error.children, path));
    }
  }
  return lines;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The config as an operator writes it (snake_case plain object). */
export function configToDocument(config: AppConfig): Record<string, unknown> {
  return keysToSnake(JSON.parse(JSON.stringify(config))) as Record<string, unknown>;
}
