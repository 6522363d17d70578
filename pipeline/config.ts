/**
 * Flag values → validated, frozen configuration. Defaults are named constants; every bound says
 * the allowed range. Pure, so the CLI's validation is unit tested without running anything.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { parseServerUrl } from './db/url.js';
import { defaultThreads } from './stages/import.js';
import type { RunConfig } from './run.js';

export const DEFAULT_BATCH_ROWS = 5000;
export const MAX_BATCH_ROWS = 1_000_000;
export const DEFAULT_BATCH_SECONDS = 0.5;
export const DEFAULT_DATABASE = 'drydock';
export const ENGINE_NAMES = ['local', 'docker', 'external'] as const;

export interface RawFlags {
  dump?: string;
  out?: string;
  to?: string;
  pack?: string;
  sql?: string;
  nullState?: string;
  dropProject?: string;
  batchRows?: number;
  batchSeconds?: number;
  allowUnbatched?: boolean;
  engine?: string;
  engineUrl?: string;
  image?: string;
  database?: string;
  runDir?: string;
  fresh?: boolean;
  keepServer?: boolean;
  tcp?: boolean;
  threads?: number;
  importer?: string;
  serverOption?: string[];
  schema?: string;
  format?: string;
  serverMemory?: string;
}

export function validateBatch(batchRows: number | undefined, batchSeconds: number | undefined): { batchRows: number; batchSeconds: number } {
  const rows = batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(rows) || rows < 1 || rows > MAX_BATCH_ROWS) {
    throw new ConfigError(`--batch-rows must be a whole number from 1 to ${MAX_BATCH_ROWS} (got ${batchRows})`, { hint: `the default is ${DEFAULT_BATCH_ROWS}` });
  }
  const secs = batchSeconds ?? DEFAULT_BATCH_SECONDS;
  if (!(secs > 0 && secs <= 60)) {
    throw new ConfigError(`--batch-seconds must be more than 0 and at most 60 (got ${batchSeconds})`, { hint: `the default is ${DEFAULT_BATCH_SECONDS}` });
  }
  return { batchRows: rows, batchSeconds: secs };
}

export function validateThreads(threads: number | undefined): number {
  // One more connection than cores keeps the server busy while a connection waits on the client.
  const t = threads ?? defaultThreads();
  if (!Number.isInteger(t) || t < 1 || t > 64) throw new ConfigError(`--threads must be a whole number from 1 to 64 (got ${threads})`);
  return t;
}

/** `--server-option key=value` pairs for the local engine. */
export function parseServerOptions(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z0-9_-]+)=(.*)$/.exec(p);
    if (!m) throw new ConfigError(`--server-option '${p}' is not key=value`, { hint: 'e.g. --server-option innodb_buffer_pool_size=8M' });
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** `512M`, `2G`, `1073741824` → bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`${flag} '${text}' is not a size`, { hint: 'e.g. 512M, 2G or a number of bytes' });
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[(m[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.floor(Number(m[1]) * unit);
}

export function parseRunConfig(f: RawFlags): Readonly<RunConfig> {
  if (!f.dump) throw new ConfigError('--dump is required', { hint: 'give the dump to import: --dump prod.sql (or .sql.gz, or - for stdin)' });
  if (f.dump !== '-' && !existsSync(f.dump)) throw new ConfigError(`the dump ${f.dump} does not exist`, { hint: 'check the path' });
  if (!f.out) throw new ConfigError('--out is required', { hint: 'give the directory for the result: --out out/' });
  const engine = f.engine ?? (f.engineUrl ? 'external' : 'local');
  if (!(ENGINE_NAMES as readonly string[]).includes(engine)) throw new ConfigError(`unknown --engine '${engine}'`, { hint: `use one of: ${ENGINE_NAMES.join(', ')}` });
  if (engine === 'external' && !f.engineUrl) throw new ConfigError('--engine external needs --engine-url', { hint: 'e.g. --engine-url mysql://root@127.0.0.1:3306/scratch' });
  if (engine !== 'external' && f.engineUrl) throw new ConfigError(`--engine-url is for the external engine, not '${engine}'`, { hint: 'drop --engine or use --engine external' });
  if (f.sql && !existsSync(f.sql)) throw new ConfigError(`--sql ${f.sql} does not exist`);
  const importer = f.importer ?? 'native';
  if (importer !== 'native' && importer !== 'client') throw new ConfigError(`--importer must be native or client (got ${importer})`);
  if (f.schema && !existsSync(f.schema)) throw new ConfigError(`--schema ${f.schema} does not exist`);
  const format = f.format ?? 'sql';
  if (format !== 'sql' && format !== 'csv') throw new ConfigError(`--format must be sql or csv (got ${format})`);
  const database = f.engineUrl ? parseServerUrl(f.engineUrl).database : (f.database ?? DEFAULT_DATABASE);
  const serverOptions = parseServerOptions(f.serverOption);
  const cfg: RunConfig = {
    dump: f.dump,
    out: f.out,
    ...validateBatch(f.batchRows, f.batchSeconds),
    allowUnbatched: !!f.allowUnbatched,
    engine: engine as RunConfig['engine'],
    database,
    fresh: !!f.fresh,
    keepServer: !!f.keepServer,
    tcp: !!f.tcp,
    threads: validateThreads(f.threads),
    importer,
    format,
    ...(f.schema ? { schemaFile: f.schema } : {}),
    ...(f.to ? { to: f.to } : {}),
    ...(f.pack ? { pack: f.pack } : {}),
    ...(f.sql ? { sqlFile: f.sql } : {}),
    ...(f.nullState ? { nullState: f.nullState } : {}),
    ...(f.dropProject ? { dropProject: f.dropProject } : {}),
    ...(f.engineUrl ? { engineUrl: f.engineUrl } : {}),
    ...(f.image ? { image: f.image } : {}),
    ...(f.runDir ? { runDir: f.runDir } : {}),
    ...(serverOptions ? { serverOptions } : {}),
    ...(f.serverMemory ? { serverMemory: parseSize(f.serverMemory, '--server-memory') } : {}),
  };
  return Object.freeze(cfg);
}
