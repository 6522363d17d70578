/**
 * The bulk-load configuration of a throwaway server. Pure: builds option-file text from a plan,
 * so it is unit tested without a server. The same settings feed docker/bulk-load.cnf.
 */
import type { Flavor } from './engine.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface ServerConfigInput {
  flavor: Flavor;
  /** Major.minor, e.g. 10.11 or 8.0; some option names differ between versions. */
  version?: string;
  dataDir: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  tmpDir: string;
  /** TCP port on 127.0.0.1, or undefined for socket only. */
  port?: number;
  /** Memory the server may use, bytes. */
  memoryBytes: number;
  user?: string;
  overrides?: Record<string, string | number>;
}

/** Never more than this share of memory for the buffer pool: the importer and the OS need the rest. */
export const BUFFER_POOL_SHARE = 0.4;
export const MIN_BUFFER_POOL = 128 * MiB;
export const MAX_BUFFER_POOL = 16 * GiB;
export const MIN_REDO_LOG = 256 * MiB;
/**
 * InnoDB allocates the redo log in full, so every scratch datadir costs this much disk at least; a
 * log smaller than what a load writes makes InnoDB flush pages early to free it. Measured at
 * 200,000 patches (1.76 GB, a buffer pool of 9.6 GB): 4 GiB loads in 13.3-13.9 s against 14.6 s
 * with 1 GiB, the server spending 2 CPU-s less. It is reached only with 8 GiB of buffer pool
 * (about 20 GiB of memory): smaller machines keep half the pool.
 */
export const MAX_REDO_LOG = 4 * GiB;

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** Rounds down to whole MiB and formats as `NNNM`. */
function mib(bytes: number): string {
  return `${Math.floor(bytes / MiB)}M`;
}

export function sizeBufferPool(memoryBytes: number): number {
  return clamp(Math.floor(memoryBytes * BUFFER_POOL_SHARE), MIN_BUFFER_POOL, MAX_BUFFER_POOL);
}

export function sizeRedoLog(bufferPoolBytes: number): number {
  return clamp(Math.floor(bufferPoolBytes / 2), MIN_REDO_LOG, MAX_REDO_LOG);
}

/** The options as ordered pairs (later wins), overrides last. */
export function serverOptions(input: ServerConfigInput): Array<[string, string]> {
  const pool = sizeBufferPool(input.memoryBytes);
  const redo = sizeRedoLog(pool);
  const opts: Array<[string, string]> = [
    ['datadir', input.dataDir],
    ['socket', input.socket],
    ['pid-file', input.pidFile],
    ['log-error', input.errorLog],
    ['tmpdir', input.tmpDir],
  ];
  if (input.user) opts.push(['user', input.user]);
  if (input.port === undefined) {
    opts.push(['skip-networking', 'ON']);
  } else {
    opts.push(['bind-address', '127.0.0.1'], ['port', String(input.port)]);
  }
  opts.push(
    // A scratch server: nothing replicates from it and a crash means re-running from checkpoints.
    ['skip-log-bin', 'ON'],
    ['innodb_flush_log_at_trx_commit', '0'],
    ['innodb_doublewrite', '0'],
    ['innodb_buffer_pool_size', mib(pool)],
    ['innodb_log_file_size', mib(redo)],
    ['innodb_log_buffer_size', '64M'],
    ['innodb_autoinc_lock_mode', '2'],
    ['innodb_file_per_table', 'ON'],
    ['max_allowed_packet', '1G'],
    ['skip-name-resolve', 'ON'],
    ['character-set-server', 'utf8mb4'],
    ['collation-server', 'utf8mb4_general_ci'],
    ['max_connections', '200'],
    ['performance_schema', 'OFF'],
  );
  opts.push(['innodb_flush_method', 'O_DIRECT_NO_FSYNC']);
  // MySQL 8 logs binary by default and opens the X protocol port; a scratch server needs neither.
  if (input.flavor === 'mysql') opts.push(['disable-log-bin', 'ON'], ['mysqlx', 'OFF']);
  for (const [k, v] of Object.entries(input.overrides ?? {})) opts.push([k, String(v)]);
  return dedupe(opts);
}

function dedupe(opts: Array<[string, string]>): Array<[string, string]> {
  const last = new Map<string, string>();
  for (const [k, v] of opts) last.set(k.replace(/-/g, '_'), v);
  const seen = new Set<string>();
  const out: Array<[string, string]> = [];
  for (const [k] of opts) {
    const norm = k.replace(/-/g, '_');
    if (seen.has(norm)) continue;
    seen.add(norm);
    out.push([k, last.get(norm) ?? '']);
  }
  return out;
}

/** Option-file text for `--defaults-file`. */
export function renderOptionFile(input: ServerConfigInput): string {
  const lines = ['# written by drydock: a throwaway bulk-load server; do not use for production', '[mysqld]'];
  for (const [k, v] of serverOptions(input)) lines.push(v === 'ON' && /^(skip|disable)-/.test(k) ? k : `${k}=${v}`);
  return lines.join('\n') + '\n';
}

/** A client option file (mode 0600) so that a password never appears in argv. */
export function renderClientOptionFile(opts: {
  user: string;
  password?: string;
  socket?: string;
  host?: string;
  port?: number;
}): string {
  const lines = ['[client]', `user=${quoteOption(opts.user)}`];
  if (opts.password !== undefined) lines.push(`password=${quoteOption(opts.password)}`);
  if (opts.socket) lines.push(`socket=${quoteOption(opts.socket)}`);
  else {
    // The clients read host=localhost as "use the default socket"; a URL with a host means TCP.
    lines.push(`host=${opts.host ?? '127.0.0.1'}`, 'protocol=TCP');
    if (opts.port) lines.push(`port=${opts.port}`);
  }
  return lines.join('\n') + '\n';
}

/** Option files treat `#`, quotes and backslashes specially; quote so any password survives. */
export function quoteOption(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
