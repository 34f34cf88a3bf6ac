import { seededRandom } from '../../src/common/testing/seeded-random.js';

/**
 * A small seeded PRNG (mulberry32) with the few helpers the request fuzzer needs. The same
 * seed gives the same sequence on every machine, so a failing run is replayed by its seed.
 */
export class FuzzRandom {
  private readonly float: () => number;

  constructor(seed: number) {
    this.float = seededRandom(seed);
  }

  /** The generator for request `index` of a run: requests can be regenerated one at a time. */
  static forIndex(seed: number, index: number): FuzzRandom {
    // Mix seed and index (murmur3's finaliser) so neighbouring indexes do not start alike.
    let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return new FuzzRandom((h ^ (h >>> 16)) >>> 0);
  }

  /** mulberry32: a float in [0, 1). */
  next(): number {
    return this.float();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  /** One of the keys, chosen in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>;
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}
