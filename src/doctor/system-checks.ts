import { randomBytes } from 'node:crypto';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { locateFfmpeg } from '../audio/ffmpeg-locator.js';
import type { DoctorCheckResult } from './doctor-result.js';

/** Below this much free space in a data folder, synthesis outputs and uploads start failing. */
export const MIN_FREE_DISK_BYTES = 1024 ** 3;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function ffmpegCheck(): Promise<DoctorCheckResult> {
  try {
    const ffmpeg = await locateFfmpeg();
    return {
      check: 'ffmpeg',
      status: 'ok',
      detail: `ffmpeg ${ffmpeg.version} (${ffmpeg.source}: ${ffmpeg.path})`,
    };
  } catch (error) {
    return { check: 'ffmpeg', status: 'fail', detail: messageOf(error) };
  }
}

/** Creates the folder if missing (as the server does), then writes and removes a probe file. */
export async function folderWritableCheck(name: string, folder: string): Promise<DoctorCheckResult> {
  const check = `folder ${name}`;
  try {
    await mkdir(folder, { recursive: true });
    const probe = join(folder, `.doctor-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return { check, status: 'ok', detail: `${folder} is writable` };
  } catch (error) {
    return { check, status: 'fail', detail: `${folder} is not writable: ${messageOf(error)}` };
  }
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

export async function freeDiskCheck(folder: string): Promise<DoctorCheckResult> {
  try {
    const stats = await statfs(folder);
    const free = stats.bavail * stats.bsize;
    const detail = `${gib(free)} free of ${gib(stats.blocks * stats.bsize)} at ${folder}`;
    return free >= MIN_FREE_DISK_BYTES
      ? { check: 'free disk', status: 'ok', detail }
      : {
          check: 'free disk',
          status: 'fail',
          detail: `${detail}; at least ${gib(MIN_FREE_DISK_BYTES)} needed`,
        };
  } catch (error) {
    return {
      check: 'free disk',
      status: 'fail',
      detail: `cannot read free space at ${folder}: ${messageOf(error)}`,
    };
  }
}

/** Binds the address the server would, and lets it go at once. */
export async function portFreeCheck(host: string, port: number): Promise<DoctorCheckResult> {
  if (port === 0)
    return { check: 'port', status: 'skip', detail: 'server.port is 0 (a free port is picked at start)' };
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    return { check: 'port', status: 'ok', detail: `${host}:${port} is free` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'is already in use (is the server running?)'
        : `cannot be bound: ${messageOf(error)}`;
    return { check: 'port', status: 'fail', detail: `${host}:${port} ${why}` };
  } finally {
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  }
}
