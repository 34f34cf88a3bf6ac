/*
 * This process's children as Linux's /proc lists them, for tests that must prove an
 * ffmpeg is really gone (not merely that our bookkeeping forgot it). Test support only.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcessEntry {
  pid: number;
  ppid: number;
  comm: string;
}

/** Live (non-zombie) processes as /proc lists them. */
function liveProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we listed
    }
    // "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z') entries.push({ pid: Number(entry), ppid: Number(ppid), comm });
  }
  return entries;
}

/** Pids of live (non-zombie) children of this process whose command name is `name`. */
export function childPids(name: string): number[] {
  return liveProcesses()
    .filter((p) => p.comm === name && p.ppid === process.pid)
    .map((p) => p.pid);
}

/** Pids of live descendants of this process (children, grandchildren, …) whose command name is one of `names`. */
export function descendantPids(...names: string[]): number[] {
  const processes = liveProcesses();
  const parentOf = new Map(processes.map((p) => [p.pid, p.ppid]));
  const isDescendant = (pid: number): boolean => {
    for (let current = parentOf.get(pid), depth = 0; current !== undefined && depth < 64; depth++) {
      if (current === process.pid) return true;
      current = parentOf.get(current);
    }
    return false;
  };
  return processes.filter((p) => names.includes(p.comm) && isDescendant(p.pid)).map((p) => p.pid);
}

/** True while `pid` exists, zombies included (an unreaped child still holds its pid). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export const procAvailable = ((): boolean => {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
})();
