import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { TEST_ENGINE_CONTEXT } from '../../testing/test-engine-context.js';
import { EspeakWasmPool } from './espeak-wasm.pool.js';

/** A stand-in worker that is ready at once and answers each job after `delayMs` with one sample. */
function slowWorker(delayMs: number): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.postMessage({ type: 'ready', sampleRate: 22050, voices: [] });
     parentPort.on('message', (m) => setTimeout(() => parentPort.postMessage({
       type: 'done', seq: m.seq, samples: new Int16Array(1), marks: [], wordStartsMs: [], aborted: false,
     }), ${delayMs}));`,
    { eval: true },
  );
}

const job = { input: 'x', voice: 'gmw/en-US', rate: 175, pitch: 50, collectEvents: false };

describe('EspeakWasmPool', () => {
  it('starts one worker, grows up to its size while requests queue, and shrinks when idle', async () => {
    let created = 0;
    const pool = new EspeakWasmPool({
      size: 3,
      idleMs: 50,
      logger: TEST_ENGINE_CONTEXT.logger,
      createWorker: () => {
        created++;
        return slowWorker(100);
      },
    });
    try {
      await pool.ready;
      assert.equal(pool.workers, 1, 'an idle pool holds one worker');
      await Promise.all(Array.from({ length: 6 }, () => pool.synthesize(job)));
      assert.equal(created, 3, 'queued requests start workers up to the size');
      while (pool.workers > 1) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(pool.workers, 1, 'idle workers beyond the first stop');
      await pool.synthesize(job);
    } finally {
      await pool.close();
    }
  });

  it('never grows past one worker for requests one at a time', async () => {
    let created = 0;
    const pool = new EspeakWasmPool({
      size: 4,
      logger: TEST_ENGINE_CONTEXT.logger,
      createWorker: () => {
        created++;
        return slowWorker(1);
      },
    });
    try {
      for (let i = 0; i < 5; i++) await pool.synthesize(job);
      assert.equal(created, 1);
    } finally {
      await pool.close();
    }
  });
});
