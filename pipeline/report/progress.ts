/**
 * Progress as a pure snapshot (gh-ost's progress_snapshot): numbers in, numbers out, no clock
 * and no printing. The caller passes the time; a formatter elsewhere turns snapshots into text.
 */

export interface ProgressInput {
  /** Units done so far (rows, bytes). */
  done: number;
  /** Expected total; an estimate, so `done` may pass it. Undefined or 0 = unknown. */
  total?: number;
  /** When the work started, milliseconds (any epoch, same as `now`). */
  startedAt: number;
  /** Now, milliseconds. */
  now: number;
}

export interface ProgressSnapshot {
  done: number;
  /** The total, raised to `done` when the estimate was too low; undefined when unknown. */
  total: number | undefined;
  /** 0..100, undefined when the total is unknown. */
  percent: number | undefined;
  elapsedSeconds: number;
  /** Units per second over the whole run so far; 0 before any time has passed. */
  rate: number;
  /** Seconds left at the current rate; undefined when unknown (no total, or no rate yet). */
  etaSeconds: number | undefined;
}

export function progressSnapshot(p: ProgressInput): ProgressSnapshot {
  const elapsedSeconds = Math.max(0, (p.now - p.startedAt) / 1000);
  const rate = elapsedSeconds > 0 ? p.done / elapsedSeconds : 0;
  const total = p.total && p.total > 0 ? Math.max(p.total, p.done) : undefined;
  const percent = total === undefined ? undefined : (p.done / total) * 100;
  let etaSeconds: number | undefined;
  if (total !== undefined) {
    if (p.done >= total) etaSeconds = 0;
    else if (rate > 0) etaSeconds = (total - p.done) / rate;
  }
  return { done: p.done, total, percent, elapsedSeconds, rate, etaSeconds };
}

/** `1h02m`, `3m05s`, `42s`; `?` when unknown. For status lines. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
