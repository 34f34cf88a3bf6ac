import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { singleFlight } from './single-flight.js';

describe('singleFlight', () => {
  it('shares one run among callers that arrive while it is in flight', async () => {
    let runs = 0;
    let finish: (value: number) => void = () => undefined;
    const check = singleFlight(() => {
      runs += 1;
      return new Promise<number>((resolve) => {
        finish = resolve;
      });
    });
    const first = check();
    const second = check();
    finish(7);
    assert.deepEqual(await Promise.all([first, second]), [7, 7]);
    assert.equal(runs, 1);
  });

  it('starts a new run once the previous one has settled, after a failure too', async () => {
    let runs = 0;
    const check = singleFlight(() => {
      runs += 1;
      return runs === 1 ? Promise.reject(new Error('down')) : Promise.resolve(runs);
    });
    await assert.rejects(check(), /down/);
    assert.equal(await check(), 2);
    assert.equal(await check(), 3);
  });
});
