import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface LocatedFfmpeg {
  path: string;
  /** 'system': an ffmpeg on PATH (Debian's package); 'npm': the static build from @ffmpeg-installer. */
  source: 'system' | 'npm';
  /** As `ffmpeg -version` prints it, e.g. "5.1.9-0+deb12u1". */
  version: string;
}

/** External encoders the transcoder uses; aac and flac are ffmpeg's own and always built in. */
const REQUIRED_LIBRARIES = ['libmp3lame', 'libopus'];

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `ffmpeg -version` and checks the build has the encoders we need (a minimal build
 * without libopus would otherwise fail on the first opus request, not at startup).
 */
async function probe(path: string, source: LocatedFfmpeg['source']): Promise<LocatedFfmpeg> {
  const { stdout } = await execFileAsync(path, ['-hide_banner', '-version'], { timeout: 15_000 });
  const version = /^ffmpeg version (\S+)/m.exec(stdout)?.[1];
  if (!version) throw new Error(`${path} does not look like ffmpeg (unexpected -version output)`);
  const missing = REQUIRED_LIBRARIES.filter((library) => !stdout.includes(`--enable-${library}`));
  if (missing.length > 0)
    throw new Error(`${path} (ffmpeg ${version}) was built without ${missing.join(', ')}`);
  return { path, source, version };
}

/** The first executable `ffmpeg` on PATH, checked with -version. */
export async function locateSystemFfmpeg(): Promise<LocatedFfmpeg> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    if (await isExecutable(candidate)) return probe(candidate, 'system');
  }
  throw new Error('no ffmpeg on PATH');
}

interface FfmpegInstallerModule {
  default: { path: string; version: string };
}

/**
 * The static build from the npm package @ffmpeg-installer/ffmpeg (an optional dependency:
 * imported dynamically so its absence is an error message, not a crash at import time).
 * npm skips the platform package's `chmod u+x ffmpeg` postinstall when installing with
 * --ignore-scripts; a binary without its execute bit is repaired with the same chmod,
 * and when that is not allowed (read-only node_modules) the error says what to run.
 */
export async function locateNpmFfmpeg(): Promise<LocatedFfmpeg> {
  let path: string;
  try {
    const installer = (await import('@ffmpeg-installer/ffmpeg')) as FfmpegInstallerModule;
    path = installer.default.path;
  } catch (error) {
    // The package throws plain strings for an unsupported platform or a missing binary.
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the npm package @ffmpeg-installer/ffmpeg is unusable: ${reason}`, { cause: error });
  }
  if (!(await isExecutable(path))) {
    try {
      await chmod(path, 0o755);
    } catch {
      throw new Error(`${path} is not executable and cannot be made so; run: chmod +x ${path}`);
    }
  }
  return probe(path, 'npm');
}

let located: Promise<LocatedFfmpeg> | undefined;

/**
 * The ffmpeg the product uses: the system one (Debian's package, patched by the distro)
 * when PATH has a working one, else the npm build. Located and run once per process; a
 * failure is not cached, so a later call can succeed once ffmpeg is installed.
 */
export function locateFfmpeg(): Promise<LocatedFfmpeg> {
  located ??= locate().catch((error: unknown) => {
    located = undefined;
    throw error;
  });
  return located;
}

async function locate(): Promise<LocatedFfmpeg> {
  const reasons: string[] = [];
  for (const candidate of [locateSystemFfmpeg, locateNpmFfmpeg]) {
    try {
      return await candidate();
    } catch (error) {
      reasons.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(
    `No usable ffmpeg: install the system package (apt-get install ffmpeg) or the npm package ` +
      `@ffmpeg-installer/ffmpeg. Tried: ${reasons.join('; ')}`,
  );
}
