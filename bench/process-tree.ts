/**
 * Memory and CPU of a process and everything it started (PGlite child, decoders, espeak-ng
 * programs), read from /proc: Linux only. Worker threads are in-process, so a process's RSS
 * and CPU already include them.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Linux reports CPU times in clock ticks of 1/100 s (USER_HZ). */
const TICK_MS = 10;
const PAGE_BYTES = 4096;

/** The fields of /proc/<pid>/stat after "(comm) ", so index 0 is the state. */
function statFields(pid: number): Promise<string[] | undefined> {
  return statFieldsAt(`/proc/${pid}/stat`);
}

/** The fields of a /proc stat file after "(comm) ". */
async function statFieldsAt(path: string): Promise<string[] | undefined> {
  try {
    const stat = await readFile(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process ended meanwhile
  }
}

/** `rootPid` and all its descendants that are alive now. */
export async function processTree(rootPid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  const entries = await readdir('/proc');
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const fields = await statFields(Number(entry));
        if (!fields) return;
        const parent = Number(fields[1]);
        children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
      }),
  );
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i] ?? -1) ?? []));
  return tree;
}

/** Resident memory of one process in bytes (0 when it ended). */
export async function processRssBytes(pid: number): Promise<number> {
  try {
    const statm = await readFile(`/proc/${pid}/statm`, 'utf8');
    return Number(statm.split(' ')[1]) * PAGE_BYTES;
  } catch {
    return 0;
  }
}

/** Resident memory of the processes, summed. */
export async function rssOfBytes(pids: number[]): Promise<number> {
  const values = await Promise.all(pids.map(processRssBytes));
  return values.reduce((sum, value) => sum + value, 0);
}

/**
 * Proportional memory of one process in bytes (shared pages divided among the processes
 * sharing them; /proc/<pid>/smaps_rollup), NaN where unreadable.
 */
export async function processPssBytes(pid: number): Promise<number> {
  try {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * Resident memory of `rootPid` and its descendants, summed, and each process's share. The
 * RSS sum counts pages the processes share (the node binary, libraries) once per process;
 * the PSS sum counts them once.
 */
export async function treeRss(
  rootPid: number,
): Promise<{ totalBytes: number; totalPssBytes: number; processes: ProcessRss[] }> {
  const pids = await processTree(rootPid);
  const processes = await Promise.all(
    pids.map(async (pid) => ({
      pid,
      name: await processName(pid),
      rssBytes: await processRssBytes(pid),
      pssBytes: await processPssBytes(pid),
    })),
  );
  return {
    totalBytes: processes.reduce((sum, p) => sum + p.rssBytes, 0),
    totalPssBytes: processes.reduce((sum, p) => sum + p.pssBytes, 0),
    processes,
  };
}

export interface ProcessRss {
  pid: number;
  name: string;
  rssBytes: number;
  pssBytes: number;
}

async function processName(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).slice(0, 2).join(' ');
  } catch {
    return '?';
  }
}

/** CPU time (user + system, all threads) `rootPid` and its live descendants used so far, in ms. */
export async function treeCpuMs(rootPid: number): Promise<number> {
  const pids = await processTree(rootPid);
  const times = await Promise.all(
    pids.map(async (pid) => {
      const fields = await statFields(pid);
      // utime and stime are the 14th and 15th fields of stat, 12th and 13th after "(comm) ".
      return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : 0;
    }),
  );
  return times.reduce((sum, value) => sum + value, 0);
}

/**
 * Samples the RSS of `rootPid`'s process tree every `intervalMs` until stopped; the tree's
 * membership is re-read every `treeRefreshMs` (listing /proc is the costly part).
 */
export function sampleTreeRss(
  rootPid: number,
  intervalMs: number,
  treeRefreshMs = 500,
): { stop: () => Promise<{ peakBytes: number; samples: number }> } {
  let pids: number[] = [rootPid];
  let peakBytes = 0;
  let samples = 0;
  let stopped = false;
  let lastRefresh = 0;
  const loop = (async () => {
    while (!stopped) {
      const now = Date.now();
      if (now - lastRefresh >= treeRefreshMs) {
        pids = await processTree(rootPid);
        lastRefresh = now;
      }
      peakBytes = Math.max(peakBytes, await rssOfBytes(pids));
      samples++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - now))));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { peakBytes, samples };
    },
  };
}

/** Busy and total jiffies of all CPUs so far, from the first line of /proc/stat. */
async function machineCpuTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  // idle (4th) and iowait (5th) are not busy.
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

/**
 * Cores the whole machine kept busy over the next `ms`, minus what `ownPids` (and their
 * trees) used meanwhile: how much other work is running.
 */
export async function otherBusyCores(ms: number, ownPids: number[], cores: number): Promise<number> {
  const ownCpu = async () => (await Promise.all(ownPids.map(treeCpuMs))).reduce((a, b) => a + b, 0);
  const before = await machineCpuTicks();
  const ownBefore = await ownCpu();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await machineCpuTicks();
  const ownMs = (await ownCpu()) - ownBefore;
  const busyShare = (after.busy - before.busy) / Math.max(after.total - before.total, 1);
  return Math.max(0, busyShare * cores - ownMs / ms);
}

/**
 * CPU time (user + system) of this process's children that have ended and been waited for
 * (cutime + cstime of /proc/self/stat), in ms: what the programs it ran (espeak-ng) used.
 */
export async function endedChildrenCpuMs(): Promise<number> {
  const fields = await statFields(process.pid);
  // cutime and cstime are the 16th and 17th fields of stat, 14th and 15th after "(comm) ".
  return fields ? (Number(fields[13]) + Number(fields[14])) * TICK_MS : Number.NaN;
}

/**
 * CPU time (user + system) of this process's main thread so far, in ms; NaN where /proc is
 * missing. The main thread's id is the process id; worker threads (a load generator) are
 * not counted.
 */
export async function mainThreadCpuMs(): Promise<number> {
  const fields = await statFieldsAt(`/proc/self/task/${process.pid}/stat`);
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MS : Number.NaN;
}
