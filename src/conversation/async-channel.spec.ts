import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AsyncChannel } from './async-channel.js';

async function collect<T>(channel: AsyncChannel<T>): Promise<T[]> {
  const got: T[] = [];
  for await (const value of channel) got.push(value);
  return got;
}

describe('AsyncChannel', () => {
  it('hands values over in order, waiting for the ones not pushed yet', async () => {
    const channel = new AsyncChannel<string>();
    channel.push('a');
    const reading = collect(channel);
    await Promise.resolve();
    channel.push('b');
    setImmediate(() => {
      channel.push('c');
      channel.close();
    });
    assert.deepEqual(await reading, ['a', 'b', 'c']);
  });

  it('ends with the error of fail() once the values before it were read', async () => {
    const channel = new AsyncChannel<number>();
    channel.push(1);
    channel.fail(new Error('engine down'));
    channel.push(2);
    const got: number[] = [];
    await assert.rejects(async () => {
      for await (const value of channel) got.push(value);
    }, /engine down/);
    assert.deepEqual(got, [1]);
  });
});
