/** Whether a process runs: one answer for the lock files, the server's pid file and the run's crash check. */
import { readFileSync } from 'node:fs';

/**
 * True while `pid` runs. A zombie (exited, not yet reaped by its parent) counts as gone: a
 * client notices a dead server before Node reaps it.
 */
export function isAlive(pid: number): boolean {
  try {
    // Field 3 of /proc/<pid>/stat is the state; Z (zombie) and X (dead) mean it has exited.
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
