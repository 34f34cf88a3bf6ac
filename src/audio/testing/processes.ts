/*
 * This process's children as Linux's /proc lists them, for tests that must prove an
 * ffmpeg is really gone (not merely that our bookkeeping forgot it). Test support only.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live (non-zombie) children of this process whose command name is `name`. */
export function childPids(name: string): number[] {
  const pids: number[] = [];
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
    if (comm === name && Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** Pids of live (non-zombie) descendants of this process (children, grandchildren, …) whose command name is one of `names`. */
export function descendantPids(...names: string[]): number[] {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') continue;
    parents.set(Number(entry), Number(ppid));
    commands.set(Number(entry), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
  }
  const isDescendant = (pid: number): boolean => {
    for (let current = parents.get(pid), depth = 0; current !== undefined && depth < 64; depth++) {
      if (current === process.pid) return true;
      current = parents.get(current);
    }
    return false;
  };
  return [...commands].filter(([pid, comm]) => names.includes(comm) && isDescendant(pid)).map(([pid]) => pid);
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
