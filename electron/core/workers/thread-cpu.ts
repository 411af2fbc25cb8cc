/**
 * CPU time per thread (Linux: /proc), for the import's own profile: which thread an import waited on; and a
 * thread's scheduling priority. Elsewhere these return null (do nothing) and the profile simply has no thread
 * figures.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** This thread's OS thread id. */
export function osThreadId(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}

/** User + system CPU milliseconds of a thread of this process, while it lives. */
export function threadCpuMs(tid: number | null): number | null {
  if (tid === null) return null;
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // fields after the command name (which may contain spaces): utime is field 14, stime 15 (1-based)
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return Math.round((ticks * 1000) / 100); // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * Lowers a thread of this process to `nice` (Linux: setpriority on a thread id affects that thread alone; an
 * unprivileged process may always lower a priority). Returns whether it did.
 */
export function lowerThreadPriority(tid: number | null, nice: number): boolean {
  if (tid === null || !(nice > 0)) return false;
  try {
    setPriority(tid, Math.min(19, Math.round(nice)));
    return true;
  } catch {
    return false;
  }
}
