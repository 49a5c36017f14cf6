/**
 * CPU time per thread of this process, from /proc (Linux; elsewhere empty), so a benchmark can say where its time
 * went: the server's main thread against everything else (load generator, writer threads, GC helpers).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 10_000; // USER_HZ is 100 on Linux

/** Microseconds of CPU (user + system) used so far by each thread, by thread id. */
export function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name: state is the 1st, utime the 12th and stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_US);
    } catch {
      // the thread ended while being read
    }
  }
  return out;
}

/**
 * CPU used between two readings by the main thread (its id is the process id) and by all threads that existed at
 * the first reading (the server's: main, writer, GC helpers), so a load generator started in between is not
 * counted.
 */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): { main: number; all: number } {
  let all = 0;
  for (const [tid, us] of before) all += (after.get(tid) ?? us) - us;
  return { main: (after.get(process.pid) ?? 0) - (before.get(process.pid) ?? 0), all };
}
