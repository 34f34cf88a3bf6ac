/**
 * Which espeak backend serves a chunk under `backend: auto`: whichever was measured faster
 * for an input of its length. Each backend's cost is a line, fixed + perChar × characters,
 * through two measured samples (a short and a long sentence): the program pays a spawn per
 * call and then runs natively, the WASM pool pays no spawn but runs wasm2js, so the lines
 * cross somewhere that depends on the machine and the gateway's size (a spawn copies the
 * page tables of the whole process). Measuring beats a fixed threshold.
 */

export type EspeakBackendName = 'wasm' | 'native';

/** Milliseconds of one synthesis as a function of its input's length in characters. */
export interface BackendCost {
  fixedMs: number;
  perCharMs: number;
}

/** One measured synthesis: `chars` characters took `ms` (a median of several runs). */
export interface BackendSample {
  chars: number;
  ms: number;
}

export interface BackendTimings {
  wasm: BackendCost;
  native: BackendCost;
}

/** The line through a short and a long sample; never negative in either term. */
export function costFromSamples(short: BackendSample, long: BackendSample): BackendCost {
  const span = long.chars - short.chars;
  const perCharMs = span > 0 ? Math.max(0, (long.ms - short.ms) / span) : 0;
  return { fixedMs: Math.max(0, short.ms - perCharMs * short.chars), perCharMs };
}

export function predictedMs(cost: BackendCost, chars: number): number {
  return cost.fixedMs + cost.perCharMs * chars;
}

/** The backend predicted faster for `chars` characters; a tie goes to WASM (no process at all). */
export function fasterBackend(timings: BackendTimings, chars: number): EspeakBackendName {
  return predictedMs(timings.native, chars) < predictedMs(timings.wasm, chars) ? 'native' : 'wasm';
}

/** The middle value (the lower of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/** Sample texts: a short sentence and a chunk-sized passage (the gateway's chunks are ≤ 200 characters by default). */
export const ROUTING_SAMPLES: readonly string[] = [
  'Hello, and welcome to the speech gateway.',
  'Speech synthesis is the artificial production of human speech. A computer system used for this ' +
    'purpose is called a speech synthesizer, and it can be implemented in software or hardware.',
];

/**
 * Times both backends on the two samples, `runs` times each, alternating so load on the
 * machine hits both alike, and fits a line per backend. `synthesize` runs one input on one
 * backend; a failure rejects the whole measurement (the caller keeps its default rule).
 */
export async function measureBackends(
  synthesize: (backend: EspeakBackendName, text: string) => Promise<unknown>,
  options: { runs?: number; now?: () => number; samples?: readonly string[] } = {},
): Promise<BackendTimings> {
  const runs = options.runs ?? 5;
  const now = options.now ?? (() => performance.now());
  const [shortText, longText] = options.samples ?? ROUTING_SAMPLES;
  const sampleOf = async (backend: EspeakBackendName, text: string): Promise<number> => {
    const started = now();
    await synthesize(backend, text);
    return now() - started;
  };
  const measured: Record<EspeakBackendName, number[][]> = { wasm: [[], []], native: [[], []] };
  for (let run = 0; run < runs; run++) {
    for (const [index, text] of [shortText, longText].entries()) {
      for (const backend of ['wasm', 'native'] as const)
        measured[backend][index].push(await sampleOf(backend, text));
    }
  }
  const costOf = (backend: EspeakBackendName): BackendCost =>
    costFromSamples(
      { chars: shortText.length, ms: median(measured[backend][0]) },
      { chars: longText.length, ms: median(measured[backend][1]) },
    );
  return { wasm: costOf('wasm'), native: costOf('native') };
}

/**
 * The measured costs, kept honest by what real syntheses take: a spawn from a gateway that
 * has grown (page tables to copy) or a machine under load can make the program much slower
 * than it measured at start, and the start-up samples ran one at a time. Each backend's
 * prediction is scaled by a running average of observed/predicted time, and every
 * `exploreEvery`-th choice goes to the other backend so its average stays current.
 */
export class BackendRouter {
  private readonly correction: Record<EspeakBackendName, number> = { wasm: 1, native: 1 };
  private choices = 0;

  constructor(
    private readonly timings: BackendTimings,
    private readonly options: { smoothing?: number; exploreEvery?: number } = {},
  ) {}

  /** The backend expected to be faster for `chars` characters now. */
  choose(chars: number): EspeakBackendName {
    const expected = (backend: EspeakBackendName) =>
      predictedMs(this.timings[backend], chars) * this.correction[backend];
    const best: EspeakBackendName = expected('native') < expected('wasm') ? 'native' : 'wasm';
    this.choices++;
    const exploreEvery = this.options.exploreEvery ?? 32;
    if (exploreEvery > 0 && this.choices % exploreEvery === 0) return best === 'native' ? 'wasm' : 'native';
    return best;
  }

  /** A real synthesis of `chars` characters on `backend` took `ms`. */
  record(backend: EspeakBackendName, chars: number, ms: number): void {
    const predicted = predictedMs(this.timings[backend], chars);
    if (!(predicted > 0) || !Number.isFinite(ms)) return;
    const alpha = this.options.smoothing ?? 0.2;
    const ratio = Math.min(20, Math.max(0.05, ms / predicted));
    this.correction[backend] = this.correction[backend] * (1 - alpha) + ratio * alpha;
  }

  /** Observed/predicted time of each backend, for logs and tests. */
  get corrections(): Readonly<Record<EspeakBackendName, number>> {
    return this.correction;
  }
}
