/**
 * The thin formatter: stages emit structured events; this prints them. Human lines (one updating
 * status line on a TTY, plain periodic lines otherwise) or NDJSON with --json, both on stderr so
 * stdout carries only the result. Everything printed or logged goes through redact().
 */
import { appendFileSync } from 'node:fs';
import { redact } from '../redact.js';
import { formatDuration } from './progress.js';

export interface PipelineEvent {
  type: string;
  stage?: string;
  message?: string;
  [k: string]: unknown;
}

export interface Reporter {
  event(e: PipelineEvent): void;
  /** Attaches a log file (NDJSON); events before this are not in it. */
  logTo(path: string): void;
}

const PROGRESS_INTERVAL_MS = 5000;

export function createReporter(opts: { json: boolean; stream?: NodeJS.WriteStream; quiet?: boolean }): Reporter {
  const out = opts.stream ?? process.stderr;
  const tty = !!out.isTTY && !opts.json;
  let logPath: string | undefined;
  let lastProgress = 0;
  let statusShown = false;
  return {
    logTo(path) {
      logPath = path;
    },
    event(e) {
      const stamped = { time: new Date().toISOString(), ...e };
      const line = redact(JSON.stringify(stamped));
      if (logPath) {
        try {
          appendFileSync(logPath, line + '\n');
        } catch {
          /* logging must never fail a run */
        }
      }
      if (opts.quiet) return;
      if (opts.json) {
        out.write(line + '\n');
        return;
      }
      const isProgress = e.type.endsWith('progress');
      const text = redact(formatHuman(e));
      if (isProgress) {
        if (tty) {
          out.write(`\r\x1b[2K${text}`);
          statusShown = true;
          return;
        }
        const now = Date.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
        lastProgress = now;
      }
      if (statusShown) {
        out.write('\r\x1b[2K');
        statusShown = false;
      }
      out.write(text + '\n');
    },
  };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function formatHuman(e: PipelineEvent): string {
  const stage = e.stage ? `[${e.stage}] ` : '';
  if (e.message) return `${stage}${e.message}`;
  if (e.type === 'migrate-progress') {
    const total = typeof e['total'] === 'number' ? e['total'] : undefined;
    const done = typeof e['done'] === 'number' ? e['done'] : 0;
    const pct = total ? ` (${Math.min(100, (100 * done) / (total || 1)).toFixed(1)}%)` : '';
    const eta = typeof e['etaSeconds'] === 'number' ? `, ETA ${formatDuration(e['etaSeconds'])}` : '';
    const rate = typeof e['rowsPerSecond'] === 'number' ? `, ${Math.round(e['rowsPerSecond']).toLocaleString('en-US')} rows/s` : '';
    return `${stage}step ${String(e['index'])} ${String(e['stepId'])}: ${done.toLocaleString('en-US')}${total !== undefined ? ` of ${total.toLocaleString('en-US')}` : ''} rows${pct}${rate}${eta}, batch ${String(e['batch'])} of ${String(e['batchRows'])} rows`;
  }
  if (typeof e['bytesRead'] === 'number') {
    const total = typeof e['bytesTotal'] === 'number' ? ` of ${mb(e['bytesTotal'])} (${((100 * e['bytesRead']) / (e['bytesTotal'] || 1)).toFixed(1)}%)` : '';
    const rows = typeof e['rows'] === 'number' ? `, ${e['rows'].toLocaleString('en-US')} rows` : '';
    const rate = typeof e['bytesPerSecond'] === 'number' ? `, ${mb(e['bytesPerSecond'])}/s` : '';
    const eta = typeof e['etaSeconds'] === 'number' ? `, ETA ${formatDuration(e['etaSeconds'])}` : '';
    return `${stage}${mb(e['bytesRead'])}${total}${rows}${rate}${eta}`;
  }
  const n = (k: string) => (typeof e[k] === 'number' ? (e[k] as number) : 0);
  if (e.type === 'table-done') return `${stage}table ${String(e['table'])}: ${n('rows')} rows in ${n('seconds').toFixed(1)} s`;
  if (e.type === 'table-skipped') return `${stage}table ${String(e['table'])}: already loaded (${n('rows')} rows), skipped`;
  if (e.type === 'import-done') return `${stage}${n('tables')} tables, ${n('rows')} rows, ${mb(n('bytes'))} in ${n('seconds').toFixed(1)} s`;
  if (e.type === 'migrate-plan') {
    const by = typeof e['madeBy'] === 'string' ? `; made by drydock ${e['madeBy']}, replayed as stored` : '';
    return `${stage}plan: ${n('steps')} steps from ${String(e['source'])}${e['stored'] ? ` (stored by an earlier run: resuming${by})` : ''}`;
  }
  const { type, stage: _s, time: _t, ...rest } = e;
  return `${stage}${type} ${JSON.stringify(rest)}`;
}
