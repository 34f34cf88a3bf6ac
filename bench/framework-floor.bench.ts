/**
 * The framework floor of a JSON GET: what the same small answer costs on a bare `node:http`
 * server, on bare Express (the gateway's HTTP layer), and on a minimal NestJS app on Express
 * (one controller, no modules, no middleware, guards or interceptors). The gateway's
 * GET /health/live (bench/health.bench.ts) cannot be cheaper than the Nest row; the ratio
 * of that row to bare is the ceiling any tuning of the gateway's own request path can reach
 * without leaving Express.
 *
 * Run after building: node dist/bench/framework-floor.bench.js (or `npm run bench`).
 *
 * Environment:
 *   BENCH_FLOOR_DURATION_S    measured seconds per row (default 5)
 *   BENCH_FLOOR_WARMUP_S      unmeasured warm-up per server, seconds (default 1)
 *   BENCH_FLOOR_CONNECTIONS   concurrent keep-alive connections (default 10)
 *
 * The servers run in this process one after the other, in the order A B C C B A (each
 * row's time in two halves placed symmetrically), so that uneven load from other processes
 * falls about equally on every row; the load generator (autocannon) runs in a worker thread.
 */
import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import autocannon from 'autocannon';
import express from 'express';
import { mainThreadCpuMs } from './process-tree.js';

const DURATION_S = Number(process.env.BENCH_FLOOR_DURATION_S ?? 5);
const WARMUP_S = Number(process.env.BENCH_FLOOR_WARMUP_S ?? 1);
const CONNECTIONS = Number(process.env.BENCH_FLOOR_CONNECTIONS ?? 10);

/** The shape and size of the gateway's enveloped GET /health/live answer. */
function liveAnswer(): Record<string, unknown> {
  return {
    status: 'success',
    message: 'OK',
    data: { status: 'alive' },
    metadata: {
      timestamp: new Date().toISOString(),
      request_id: '04e3ee6c-1f31-4f06-bcf5-366b0f0437b3',
      error_code: null,
      execution_time: 0.000123,
    },
  };
}

@Controller('health')
class MinimalHealthController {
  @Get('live')
  live(): Record<string, unknown> {
    return liveAnswer();
  }
}

@Module({ controllers: [MinimalHealthController] })
class MinimalModule {}

interface Target {
  name: string;
  url: string;
  close: () => Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/live`;
}

async function startBare(): Promise<Target> {
  const server = createServer((_req, res) => {
    const body = JSON.stringify(liveAnswer());
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  return { name: 'bare node:http', url: await listen(server), close: () => closeServer(server) };
}

async function startExpress(): Promise<Target> {
  const app = express();
  // As the gateway sets them.
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/health/live', (_req, res) => {
    res.json(liveAnswer());
  });
  const server = createServer(app);
  return { name: 'bare Express', url: await listen(server), close: () => closeServer(server) };
}

async function startNest(): Promise<Target> {
  const app: INestApplication = await NestFactory.create<NestExpressApplication>(MinimalModule, {
    logger: false,
    bodyParser: false,
  });
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.set('etag', false);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    name: 'NestJS + Express, one controller',
    url: `http://127.0.0.1:${port}/health/live`,
    close: () => app.close(),
  };
}

/**
 * The same one-controller app on Fastify, when `@nestjs/platform-fastify` is installed (it
 * is not a dependency of the gateway: `npm install --no-save @nestjs/platform-fastify@12`
 * adds it for a run). Loaded by a computed name so the build does not need it.
 */
async function startNestFastify(): Promise<Target | null> {
  const moduleName = '@nestjs/platform-fastify';
  let adapterModule: { FastifyAdapter: new () => object };
  try {
    adapterModule = (await import(moduleName)) as typeof adapterModule;
  } catch {
    return null;
  }
  const app: INestApplication = await NestFactory.create(
    MinimalModule,
    // The adapter's type comes from a package the build does not have.
    new adapterModule.FastifyAdapter() as Parameters<typeof NestFactory.create>[1] & object,
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    name: 'NestJS + Fastify, one controller',
    url: `http://127.0.0.1:${port}/health/live`,
    close: () => app.close(),
  };
}

interface Tally {
  requests: number;
  seconds: number;
  cpuMs: number;
  failures: number;
}

async function load(url: string, seconds: number): Promise<Tally> {
  const cpuBefore = await mainThreadCpuMs();
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, workers: 1 });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    cpuMs: (await mainThreadCpuMs()) - cpuBefore,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

export async function runFrameworkFloorBenchmark(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0] ?? 0;
  const starters: Array<() => Promise<Target | null>> = [startBare, startExpress, startNest];
  const fastify = await startNestFastify();
  if (fastify) {
    await fastify.close();
    starters.push(startNestFastify);
  } else {
    console.log('(@nestjs/platform-fastify is not installed: no Fastify row)');
  }
  const tallies = new Map<number, Tally>();
  const names: string[] = [];
  // A B C C B A; each server is started for its segment and closed after it (2 CPU cores).
  const forward = starters.map((_, index) => index);
  for (const index of [...forward, ...forward.reverse()]) {
    const target = await starters[index]();
    if (!target) throw new Error(`${index}: the server did not start`);
    try {
      names[index] = target.name;
      await load(target.url, WARMUP_S);
      const tally = await load(target.url, DURATION_S / 2);
      const sum = tallies.get(index) ?? { requests: 0, seconds: 0, cpuMs: 0, failures: 0 };
      tallies.set(index, {
        requests: sum.requests + tally.requests,
        seconds: sum.seconds + tally.seconds,
        cpuMs: sum.cpuMs + tally.cpuMs,
        failures: sum.failures + tally.failures,
      });
    } finally {
      await target.close();
    }
  }
  const rows = starters.map((_, index) => {
    const tally = tallies.get(index)!;
    return {
      name: names[index],
      requestsPerSecond: tally.requests / tally.seconds,
      cpuUsPerRequest: (tally.cpuMs * 1000) / Math.max(tally.requests, 1),
      failures: tally.failures,
    };
  });
  console.log(
    `GET /health/live-sized JSON: ${CONNECTIONS} connections, ${DURATION_S} s per row after a ${WARMUP_S} s warm-up`,
  );
  console.table(
    rows.map((row) => ({
      server: row.name,
      'req/s': Math.round(row.requestsPerSecond),
      'CPU µs/req': Math.round(row.cpuUsPerRequest),
      failures: row.failures,
    })),
  );
  const bare = rows[0];
  for (const row of rows.slice(1)) {
    console.log(
      `framework floor, ${row.name} / bare: ${(row.requestsPerSecond / bare.requestsPerSecond).toFixed(2)} ` +
        `of the requests per second (CPU per request: ${(row.cpuUsPerRequest / bare.cpuUsPerRequest).toFixed(2)}×)`,
    );
  }
  const cores = availableParallelism();
  console.log(
    `load average (1 min): ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after, ${cores} cores` +
      (loadBefore > cores / 2 ? ' (other processes were using the CPU: absolute numbers are noisy)' : ''),
  );
  console.log(`framework floor benchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFrameworkFloorBenchmark();
}
