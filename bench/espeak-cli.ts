/** Debian's espeak-ng program run directly: the limit the gateway's espeak path is compared with. */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One `espeak-ng -v <voice> -w <out> [-f <file> | <text>]`; resolves to its wall time in ms. */
export async function espeakCli(
  input: { text: string } | { file: string },
  out: string,
  voice = 'en-us',
): Promise<number> {
  const started = performance.now();
  const args = ['-v', voice, '-w', out, ...('file' in input ? ['-f', input.file] : ['--', input.text])];
  await run('espeak-ng', args, { maxBuffer: 1024 * 1024 });
  return performance.now() - started;
}

/**
 * `concurrency` loops each running the program on the next text until `durationMs` has
 * passed (runs in flight at the deadline are finished and counted): syntheses per second.
 */
export async function espeakCliThroughput(
  nextText: () => string,
  concurrency: number,
  durationMs: number,
  scratchDir: string,
): Promise<{ runs: number; seconds: number }> {
  let runs = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      const out = join(scratchDir, `cli-${loop}.wav`);
      while (performance.now() < deadline) {
        await espeakCli({ text: nextText() }, out);
        runs++;
      }
    }),
  );
  return { runs, seconds: (performance.now() - started) / 1000 };
}
