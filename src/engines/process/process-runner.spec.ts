import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ProgramError } from './program-error.js';
import { ProcessRunner } from './process-runner.js';

const sh = (options: Partial<ConstructorParameters<typeof ProcessRunner>[0]> = {}): ProcessRunner =>
  new ProcessRunner({ program: 'sh', owner: 'test-engine', installHint: 'apt-get install dash', ...options });

async function failure(promise: Promise<unknown>): Promise<ProgramError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProgramError, `expected a ProgramError, got ${String(error)}`);
    return error;
  }
  assert.fail('the run succeeded');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean | Promise<boolean>, deadlineMs = 5000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

void describe('ProcessRunner', () => {
  void it('passes stdin and arguments without a shell, and collects stdout', async () => {
    const run = await sh().run(['-c', 'cat; printf "%s" "$1"', 'sh', '$(touch /tmp/nope) ;'], {
      stdin: 'in:',
    });
    assert.equal(run.stdout.toString(), 'in:$(touch /tmp/nope) ;');
    assert.equal(run.code, 0);
    assert.equal(run.truncated, false);
  });

  void it('reports a missing program as unavailable with the install hint', async () => {
    const runner = new ProcessRunner({
      program: 'no-such-program-42',
      owner: 'x',
      installHint: 'apt-get install x',
    });
    const error = await failure(runner.run(['--version']));
    assert.equal(error.kind, 'unavailable');
    assert.equal(error.failure, 'not_found');
    assert.match(error.message, /no-such-program-42 is not installed \(apt-get install x\)/);
    const health = await runner.probe(['--version']);
    assert.equal(health.available, false);
    assert.match(health.reason ?? '', /apt-get install x/);
  });

  void it('maps a non-zero exit to failed, keeping stderr out of the message', async () => {
    const error = await failure(sh().run(['-c', 'echo secret-path >&2; exit 3'], { what: 'synthesise' }));
    assert.equal(error.kind, 'failed');
    assert.equal(error.failure, 'exit_code');
    assert.equal(error.details.exitCode, 3);
    assert.equal(error.details.stderr, 'secret-path');
    assert.equal(error.message, 'sh failed to synthesise (exit code 3)');
    assert.equal(error.engineId, 'test-engine');
    const accepted = await sh().run(['-c', 'exit 3'], { acceptExitCodes: [3] });
    assert.equal(accepted.code, 3);
  });

  void it('maps a crash (a signal nobody sent) to failed', async () => {
    const error = await failure(sh().run(['-c', 'kill -SEGV $$']));
    assert.equal(error.failure, 'killed');
    assert.equal(error.kind, 'failed');
  });

  void it('kills the whole process group on abort and settles after the exit', async () => {
    const runner = sh();
    await runner.inTempDir(async (directory) => {
      const pidFile = join(directory, 'pid');
      const controller = new AbortController();
      const started = Date.now();
      const pending = runner.run(['-c', `sleep 30 & echo $! > ${pidFile}; wait`], {
        signal: controller.signal,
      });
      await until(async () => existsSync(pidFile) && (await readFile(pidFile, 'utf8')).endsWith('\n'));
      const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
      assert.ok(alive(grandchild));
      controller.abort();
      const error = await failure(pending);
      assert.equal(error.kind, 'aborted');
      assert.ok(Date.now() - started < 5000);
      await until(() => !alive(grandchild));
    });
  });

  void it('rejects an already-aborted signal without starting the program', async () => {
    const error = await failure(sh().run(['-c', 'exit 0'], { signal: AbortSignal.abort() }));
    assert.equal(error.kind, 'aborted');
  });

  void it('stops a program that runs past its timeout (transient)', async () => {
    const started = Date.now();
    const error = await failure(sh({ timeoutMs: 200 }).run(['-c', 'sleep 30'], { what: 'synthesise' }));
    assert.equal(error.failure, 'timeout');
    assert.equal(error.kind, 'transient');
    assert.ok(Date.now() - started < 5000);
  });

  void it('fails a run whose output passes the limit, or stops it and keeps the output', async () => {
    const endless = ['-c', 'while :; do echo 0123456789; done'];
    const error = await failure(sh().run(endless, { maxStdoutBytes: 10_000 }));
    assert.equal(error.failure, 'output_limit');
    assert.equal(error.kind, 'failed');
    const kept = await sh().run(endless, { maxStdoutBytes: 10_000, atStdoutLimit: 'stop' });
    assert.equal(kept.truncated, true);
    assert.ok(kept.stdout.length > 10_000 && kept.stdout.length < 1_000_000);
  });

  void it('keeps only the matching stderr lines when asked', async () => {
    const script = 'echo INFO: a >&2; echo ERROR: b >&2; echo INFO: c >&2; exit 1';
    const error = await failure(sh().run(['-c', script], { stderrLines: /^ERROR/ }));
    assert.equal(error.details.stderr, 'ERROR: b');
  });

  void it('removes its private directory afterwards, also when the work fails', async () => {
    const runner = sh();
    let kept = '';
    await assert.rejects(
      runner.inTempDir(async (directory) => {
        kept = directory;
        assert.equal((await stat(directory)).mode & 0o777, 0o700);
        await writeFile(join(directory, 'out.wav'), 'x');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(kept && !existsSync(kept));
  });

  void it('runs at most `concurrency` programs at once; a cancelled waiter leaves the queue', async () => {
    const runner = sh({ concurrency: 1 });
    const first = runner.run(['-c', 'sleep 0.3']);
    const controller = new AbortController();
    const queued = runner.run(['-c', 'exit 0'], { signal: controller.signal });
    controller.abort();
    assert.equal((await failure(queued)).kind, 'aborted');
    await first;
  });

  void it('close() kills running programs (unavailable) and refuses new runs', async () => {
    const runner = sh();
    const pending = runner.run(['-c', 'sleep 30']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    runner.close();
    assert.equal((await failure(pending)).kind, 'unavailable');
    assert.equal((await failure(runner.run(['-c', 'exit 0']))).kind, 'unavailable');
  });
});
