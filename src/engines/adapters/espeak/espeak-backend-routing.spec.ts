import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BackendRouter,
  type BackendTimings,
  costFromSamples,
  fasterBackend,
  measureBackends,
  median,
} from './espeak-backend-routing.js';

describe('espeak backend routing', () => {
  it('fits a line through a short and a long sample', () => {
    assert.deepEqual(costFromSamples({ chars: 40, ms: 30 }, { chars: 200, ms: 110 }), {
      fixedMs: 10,
      perCharMs: 0.5,
    });
    // Noise that makes the long sample faster does not give a negative cost per character.
    assert.deepEqual(costFromSamples({ chars: 40, ms: 90 }, { chars: 200, ms: 85 }), {
      fixedMs: 90,
      perCharMs: 0,
    });
  });

  it('picks the backend predicted faster for the length, WASM on a tie', () => {
    const timings: BackendTimings = {
      native: { fixedMs: 80, perCharMs: 0.05 },
      wasm: { fixedMs: 10, perCharMs: 0.4 },
    };
    assert.equal(fasterBackend(timings, 40), 'wasm');
    assert.equal(fasterBackend(timings, 150), 'wasm'); // 70 ms against 87.5 ms
    assert.equal(fasterBackend(timings, 250), 'native'); // 110 ms against 92.5 ms
    assert.equal(fasterBackend(timings, 1000), 'native');
    assert.equal(fasterBackend({ native: timings.wasm, wasm: timings.wasm }, 100), 'wasm');
  });

  it('measures both backends on both samples and routes by what it measured', async () => {
    let clock = 0;
    const calls: string[] = [];
    // Fake backends on a fake clock: native 60 ms + 0.01 ms/char, WASM 5 ms + 0.5 ms/char.
    const timings = await measureBackends(
      (backend, text) => {
        calls.push(backend);
        clock += backend === 'native' ? 60 + 0.01 * text.length : 5 + 0.5 * text.length;
        return Promise.resolve();
      },
      { runs: 3, now: () => clock, samples: ['x'.repeat(40), 'x'.repeat(240)] },
    );
    assert.equal(calls.length, 12);
    assert.equal(calls.filter((backend) => backend === 'native').length, 6);
    assert.ok(Math.abs(timings.native.fixedMs - 60) < 1e-9 && Math.abs(timings.wasm.perCharMs - 0.5) < 1e-9);
    assert.equal(fasterBackend(timings, 40), 'wasm');
    assert.equal(fasterBackend(timings, 240), 'native');
  });

  it('takes the median of the runs', () => {
    assert.equal(median([5, 1, 100]), 5);
    assert.equal(median([4, 1, 3, 2]), 2);
  });

  it('moves chunks away from a backend that turns out slower in real use, and keeps trying it', () => {
    // Measured at start: the program wins a 200-character chunk (90 ms against 110 ms).
    const router = new BackendRouter(
      { native: { fixedMs: 80, perCharMs: 0.05 }, wasm: { fixedMs: 10, perCharMs: 0.5 } },
      { smoothing: 0.5, exploreEvery: 4 },
    );
    assert.equal(router.choose(200), 'native');
    // In the grown gateway each spawn takes 300 ms.
    for (let i = 0; i < 4; i++) router.record('native', 200, 300);
    assert.ok(router.corrections.native > 2.5);
    const choices = Array.from({ length: 8 }, () => router.choose(200));
    assert.deepEqual(choices.filter((backend) => backend === 'native').length, 2, choices.join());
    // The program speeds up again (load gone): its correction comes back down and it wins again.
    for (let i = 0; i < 8; i++) router.record('native', 200, 90);
    assert.equal(router.choose(200), 'native');
  });
});
