import assert from 'node:assert/strict';
import { EngineError, type EngineErrorKind } from '../ports/engine-error.js';
import { EngineOptionsError } from '../ports/engine-factory.js';

/** Asserts the promise rejects with an EngineError of `kind`, and returns it. */
export async function rejectsWithKind(
  promise: Promise<unknown>,
  kind: EngineErrorKind,
): Promise<EngineError> {
  let caught: EngineError | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    assert.equal(error.kind, kind, `expected kind '${kind}', got '${error.kind}': ${error.message}`);
    caught = error;
    return true;
  });
  assert.ok(caught);
  return caught;
}

/**
 * Runs `work` once to completion to time it, then again with an abort at a tenth of that
 * time: the second run must reject with kind `aborted` before a full run would end. The
 * bound is loose (0.9 of a full run) on purpose: on a loaded machine timers fire late, and
 * what this proves is that the work stopped instead of running to completion.
 */
export async function assertAbortsPromptly(work: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  let started = performance.now();
  await work(new AbortController().signal);
  const full = performance.now() - started;

  const controller = new AbortController();
  started = performance.now();
  const pending = work(controller.signal);
  const timer = setTimeout(() => controller.abort(), full * 0.1);
  try {
    await rejectsWithKind(pending, 'aborted');
  } finally {
    clearTimeout(timer);
  }
  const elapsed = performance.now() - started;
  assert.ok(
    elapsed < full * 0.9,
    `aborted after ${elapsed.toFixed(0)} ms; a full run takes ${full.toFixed(0)} ms`,
  );
}

/** Asserts `parse` throws an EngineOptionsError whose message names `option`. */
export function throwsNamingOption(parse: () => unknown, option: string): void {
  assert.throws(parse, (error: unknown) => {
    assert.ok(error instanceof EngineOptionsError, `expected an EngineOptionsError, got ${String(error)}`);
    assert.ok(error.message.includes(option), `'${error.message}' does not name ${option}`);
    return true;
  });
}
