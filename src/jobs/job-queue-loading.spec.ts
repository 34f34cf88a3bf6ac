import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

/** Whether a package's CommonJS files were loaded into this process. */
function loaded(packageName: string): boolean {
  const cache = createRequire(import.meta.url).cache;
  return Object.keys(cache).some((path) => path.includes(`/node_modules/${packageName}/`));
}

describe('job queue modules', () => {
  it('load neither BullMQ nor pg-boss until a queue of theirs starts', async () => {
    await import('./bullmq-job-queue.js');
    await import('./pg-boss-job-queue.js');
    assert.equal(loaded('bullmq'), false, 'bullmq');
    assert.equal(loaded('pg-boss'), false, 'pg-boss');
    // The check itself sees a package once it is loaded.
    await import('pg-boss');
    assert.equal(loaded('pg-boss'), true);
  });
});
