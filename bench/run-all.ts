/**
 * Runs every benchmark, one after another (never concurrently: they would compete for the
 * CPU cores and the database). `npm run bench` builds and runs this file.
 *
 * To add a benchmark: export an `async function run…(): Promise<void>` from bench/<name>.bench.ts
 * and add one line to BENCHMARKS.
 */
import { performance } from 'node:perf_hooks';
import { runAccountsBenchmark } from './accounts.bench.js';
import { runAudioBenchmark } from './audio.bench.js';
import { runConversationBenchmark } from './conversation.bench.js';
import { runEmbeddedDatabaseBenchmark } from './embedded-db.bench.js';
import { runEspeakBenchmark } from './espeak.bench.js';
import { runFrameworkFloorBenchmark } from './framework-floor.bench.js';
import { runHealthBenchmark } from './health.bench.js';
import { runHotPathBenchmark } from './hot-path.bench.js';
import { runJobsBenchmark } from './jobs.bench.js';
import { runResilienceBenchmark } from './resilience.bench.js';
import { runSttBenchmark } from './stt.bench.js';
import { runTtsBenchmark } from './tts.bench.js';

interface Benchmark {
  name: string;
  run: () => Promise<void>;
}

const BENCHMARKS: Benchmark[] = [
  { name: 'GET /health: app vs bare node:http', run: runHealthBenchmark },
  { name: 'framework floor: bare node:http vs Express vs NestJS', run: runFrameworkFloorBenchmark },
  { name: 'embedded database vs the real PostgreSQL', run: runEmbeddedDatabaseBenchmark },
  { name: 'POST /tts: app vs direct engine, cached vs bare, streaming', run: runTtsBenchmark },
  { name: 'audio encoding: system vs npm ffmpeg', run: runAudioBenchmark },
  { name: 'espeak-ng: WASM worker pool vs native CLI', run: runEspeakBenchmark },
  { name: 'resilience policy: wrapped vs bare engine call', run: runResilienceBenchmark },
  { name: 'POST /stt: app vs the pocketsphinx CLI alone, upload memory', run: runSttBenchmark },
  { name: 'cached /tts: auth + rate limits + metering on vs off', run: runAccountsBenchmark },
  { name: 'spoken conversation turn: first audio vs its stages alone', run: runConversationBenchmark },
  { name: 'POST /jobs: submit-to-start, 100,000-character job vs espeak-ng CLI', run: runJobsBenchmark },
  { name: 'hot paths vs their limits: one table of PASS/MISS rows (issue 11)', run: runHotPathBenchmark },
];

let failed = 0;
for (const benchmark of BENCHMARKS) {
  console.log(`\n=== ${benchmark.name} ===`);
  const started = performance.now();
  try {
    await benchmark.run();
  } catch (error) {
    failed++;
    console.log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
if (failed > 0) {
  console.log(`\n${failed} of ${BENCHMARKS.length} benchmarks failed`);
  process.exitCode = 1;
}
