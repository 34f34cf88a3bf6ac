import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import pino from 'pino';
import { BOOTSTRAP_KEY_FILE } from '../accounts/bootstrap-admin.js';
import { type ConfigParseResult, parseConfig } from '../config/config.loader.js';
import type { AppConfig } from '../config/config.schema.js';
import type { Environment } from '../config/env-overrides.js';
import { type DoctorCheckResult, type DoctorReport, doctorReport } from './doctor-result.js';
import { databaseChecks, engineChecks, redisCheck } from './service-checks.js';
import { lazyResampler } from '../engines/engine-resampler.js';
import { ffmpegCheck, folderWritableCheck, freeDiskCheck, portFreeCheck } from './system-checks.js';

export interface DoctorOptions {
  configPath: string;
  env: Environment;
  /** Relative folders resolve against this, as in the server (the working directory). */
  rootDir: string;
  /** The --port the server would be started with; wins over PORT and server.port. */
  port?: number;
}

/**
 * Warnings the loader attaches to a valid config (deprecated keys with their replacement),
 * read structurally so the doctor shows them as soon as the loader reports them.
 */
function loaderWarnings(result: ConfigParseResult): string[] {
  const warnings: unknown = (result as { warnings?: unknown }).warnings;
  return Array.isArray(warnings) ? warnings.map((warning) => String(warning)) : [];
}

async function configChecks(
  options: DoctorOptions,
): Promise<{ config: AppConfig | null; results: DoctorCheckResult[] }> {
  let text: string;
  try {
    text = await readFile(options.configPath, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      config: null,
      results: [{ check: 'config', status: 'fail', detail: `cannot read ${options.configPath}: ${reason}` }],
    };
  }
  const result = parseConfig(text, options.env);
  const warnings = loaderWarnings(result).map((detail): DoctorCheckResult => ({
    check: 'config',
    status: 'warn',
    detail,
  }));
  if (!result.ok) {
    return {
      config: null,
      results: [
        ...result.errors.map((detail): DoctorCheckResult => ({ check: 'config', status: 'fail', detail })),
        ...warnings,
      ],
    };
  }
  const overrides = result.overrides.map((o) => `${o.variable} → ${o.path}`);
  const detail = `${options.configPath} is valid${overrides.length ? `; environment overrides: ${overrides.join(', ')}` : ''}`;
  return { config: result.config, results: [{ check: 'config', status: 'ok', detail }, ...warnings] };
}

/** Every pre-flight check, in the order an operator fixes things: config, folders, services, engines, port. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { config, results } = await configChecks(options);
  if (!config) {
    results.push({ check: 'other checks', status: 'skip', detail: 'they need a valid config' });
    return doctorReport(results);
  }
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(options.rootDir, path));
  const folders: Record<string, string> = {
    reference_audio: absolute(config.paths.referenceAudio),
    voices: absolute(config.paths.voices),
    outputs: absolute(config.paths.outputs),
    temp: config.paths.temp ? absolute(config.paths.temp) : join(tmpdir(), 'speech-gateway'),
    data: absolute(dirname(BOOTSTRAP_KEY_FILE)),
  };
  if (!config.database.url) folders['embedded database'] = absolute(config.database.embedded.dataDir);
  for (const [name, folder] of Object.entries(folders)) results.push(await folderWritableCheck(name, folder));
  results.push(await freeDiskCheck(folders['outputs']));

  const logger = pino({ level: 'silent' });
  results.push(...(await databaseChecks(config, options.rootDir, logger)));
  results.push(await redisCheck(config));
  results.push(await ffmpegCheck());
  results.push(
    ...(await engineChecks(config, {
      logger,
      resample: lazyResampler,
      configDir: dirname(options.configPath),
      folders: {
        referenceAudio: folders['reference_audio'],
        voices: folders['voices'],
        outputs: folders['outputs'],
      },
    })),
  );
  results.push(await portFreeCheck(config.server.host, options.port ?? config.server.port));
  return doctorReport(results);
}
