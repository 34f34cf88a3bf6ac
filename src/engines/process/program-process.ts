import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';

/** Enough of stderr to see why a program failed, bounded so a chatty program cannot grow memory. */
export const DEFAULT_STDERR_BYTES = 4096;

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The program could not be started (ENOENT: not installed; EACCES: not executable). */
  spawnError?: NodeJS.ErrnoException;
}

export interface StartOptions {
  /** `pipe`: the caller writes stdin; `ignore`: the program reads /dev/null. */
  stdin: 'pipe' | 'ignore';
  /** stderr bytes kept (the end), default DEFAULT_STDERR_BYTES. */
  maxStderrBytes?: number;
  /** Keep only stderr lines that match (e.g. /^ERROR/), for chatty programs whose errors come early. */
  stderrLines?: RegExp;
  cwd?: string;
}

/** A started program. Every stream has an error listener for its whole life (see startProgram). */
export interface RunningProgram {
  readonly pid: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  /** Settles once the program has exited and its pipes are closed; never rejects. */
  readonly exited: Promise<ProgramExit>;
  /** SIGKILL to the program's whole process group; never throws, safe after exit. */
  kill(): void;
  /** What was kept of stderr, trimmed. */
  stderr(): string;
}

/**
 * Starts `program` the one way the gateway starts programs: no shell (arguments are
 * passed as they are, so text can never become a command), in a process group of its
 * own (`detached`), so kill() reaches anything it forked too, and with an 'error'
 * listener on the process and each of its streams — an error event nobody listens to
 * would end the gateway. A failure is reported once, by `exited`.
 */
export function startProgram(
  program: string,
  args: readonly string[],
  options: StartOptions,
): RunningProgram {
  let child: ChildProcess;
  try {
    child = spawn(program, args, {
      stdio: [options.stdin, 'pipe', 'pipe'],
      detached: true,
      cwd: options.cwd,
      shell: false,
    });
  } catch (error) {
    // spawn throws at once for some failures (an argument with a NUL byte, EAGAIN).
    return failedStart(error as NodeJS.ErrnoException);
  }
  const limit = options.maxStderrBytes ?? DEFAULT_STDERR_BYTES;
  let kept = '';
  let partial = '';
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  stderr.setEncoding('utf8');
  stderr.on('data', (text: string) => {
    if (!options.stderrLines) {
      kept = (kept + text).slice(-limit);
      return;
    }
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (options.stderrLines.test(line) && kept.length < limit) kept += `${line.slice(0, 300)}\n`;
    }
  });
  // Writing to a program that already exited fails with EPIPE; the exit status says why it exited.
  child.stdin?.on('error', () => undefined);
  stdout.on('error', () => undefined);
  stderr.on('error', () => undefined);
  const exited = new Promise<ProgramExit>((resolve) => {
    // `on`, not `once`: a later error (a failed kill) must find a listener too.
    child.on('error', (spawnError: NodeJS.ErrnoException) =>
      resolve({ code: null, signal: null, spawnError }),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    pid: child.pid,
    stdin: child.stdin,
    stdout,
    exited,
    stderr: () => kept.trim(),
    kill: () => {
      if (gone || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the group: the program and whatever it forked
      } catch {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone: its exit is reported by 'close'
        }
      }
    },
  };
}

function failedStart(spawnError: NodeJS.ErrnoException): RunningProgram {
  const stdout = new PassThrough();
  stdout.end();
  return {
    pid: undefined,
    stdin: null,
    stdout,
    exited: Promise.resolve({ code: null, signal: null, spawnError }),
    stderr: () => '',
    kill: () => undefined,
  };
}
