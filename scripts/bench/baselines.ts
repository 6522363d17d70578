/**
 * The tools drydock is compared with, each run the way its manual recommends for a bulk load or a
 * consistent dump, credentials through a 0600 option file (never argv):
 * - import: the `mysql` client fed the dump; myloader on a mydumper export of the same database;
 *   `LOAD DATA INFILE` (mariadb-import) of the same rows as tab-separated files, the practical limit.
 * - export: `mysqldump --single-transaction --quick`; mydumper.
 * A tool that is not installed is reported as skipped with the reason.
 */
import { execa } from 'execa';
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { withClientOptionFile } from '../../pipeline/db/client-options.js';
import { findProgram } from '../../pipeline/engine/local.js';
import type { ServerAddress } from '../../pipeline/db/url.js';
import type { MeasureContext } from './measure.js';

export interface Tool {
  name: string;
  path?: string;
  /** Why it cannot run, when path is undefined. */
  missing?: string;
  version?: string;
}

export type ToolName = 'mysql' | 'mysqldump' | 'mariadb-import' | 'mydumper' | 'myloader';

const PROGRAMS: Record<ToolName, { names: string[]; pkg: string }> = {
  mysql: { names: ['mariadb', 'mysql'], pkg: 'mariadb-client' },
  mysqldump: { names: ['mariadb-dump', 'mysqldump'], pkg: 'mariadb-client' },
  'mariadb-import': { names: ['mariadb-import', 'mysqlimport'], pkg: 'mariadb-client' },
  mydumper: { names: ['mydumper'], pkg: 'mydumper' },
  myloader: { names: ['myloader'], pkg: 'mydumper' },
};

export async function findTool(name: ToolName): Promise<Tool> {
  const spec = PROGRAMS[name];
  const path = findProgram(spec.names);
  if (!path) return { name, missing: `${spec.names.join('/')} not installed (apt-get install -y ${spec.pkg}; bench --install tries mydumper)` };
  const r = await execa(path, ['--version'], { reject: false });
  return { name, path, version: String(r.stdout || r.stderr).trim().split('\n')[0] ?? '' };
}

export async function findTools(): Promise<Record<ToolName, Tool>> {
  const out: Partial<Record<ToolName, Tool>> = {};
  for (const n of Object.keys(PROGRAMS) as ToolName[]) out[n] = await findTool(n);
  return out as Record<ToolName, Tool>;
}

/** `apt-get install -y mydumper` (through sudo when not root); only with --install. */
export async function installMydumper(log: (s: string) => void): Promise<void> {
  const root = process.getuid?.() === 0;
  const cmd = root ? ['apt-get'] : ['sudo', '-n', 'apt-get'];
  log(`bench: installing mydumper: ${cmd.join(' ')} install -y mydumper`);
  const r = await execa(cmd[0]!, [...cmd.slice(1), 'install', '-y', 'mydumper'], { reject: false, all: true, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.exitCode !== 0) log(`bench: installing mydumper failed (exit ${r.exitCode}): ${String(r.all).split('\n').slice(-3).join(' | ')}`);
}

/** Total size of a file or a directory tree, bytes. */
export function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of readdirSync(path)) n += sizeOf(join(path, e));
  return n;
}

export async function mysqlClientImport(ctx: MeasureContext, tool: Tool, a: ServerAddress, dump: string): Promise<void> {
  await withClientOptionFile(a, (cnf) => ctx.run(tool.path!, [`--defaults-extra-file=${cnf}`, '--binary-mode', '--max-allowed-packet=1G', a.database], { inputFile: dump }));
}

export async function myloaderImport(ctx: MeasureContext, tool: Tool, a: ServerAddress, dir: string, threads: number): Promise<void> {
  await withClientOptionFile(a, (cnf) => ctx.run(tool.path!, [`--defaults-file=${cnf}`, '-d', dir, '-B', a.database, '-o', '-t', String(threads)]));
}

/** Schema first (the client, FK checks off), then every table's rows by LOAD DATA INFILE, in parallel. */
export async function loadDataImport(ctx: MeasureContext, client: Tool, importer: Tool, a: ServerAddress, tabDir: string, threads: number): Promise<void> {
  await withClientOptionFile(a, async (cnf) => {
    await ctx.run(client.path!, [`--defaults-extra-file=${cnf}`, '--binary-mode', a.database], { inputFile: join(tabDir, 'schema.sql') });
    const files = readdirSync(tabDir)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => join(tabDir, f));
    if (files.length) await ctx.run(importer.path!, [`--defaults-extra-file=${cnf}`, '--ignore-foreign-keys', `--use-threads=${threads}`, a.database, ...files]);
  });
}

export async function mysqldumpExport(ctx: MeasureContext, tool: Tool, a: ServerAddress, outFile: string): Promise<void> {
  await withClientOptionFile(a, (cnf) =>
    ctx.run(tool.path!, [`--defaults-extra-file=${cnf}`, '--single-transaction', '--quick', '--hex-blob', '--routines', '--triggers', '--events', '--max-allowed-packet=1G', `--result-file=${outFile}`, a.database]),
  );
}

/** Rows per chunk file, so mydumper (and myloader) can work on the big tables with several threads. */
export const MYDUMPER_CHUNK_ROWS = 50_000;

export async function mydumperExport(ctx: MeasureContext, tool: Tool, a: ServerAddress, outDir: string, threads: number): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await withClientOptionFile(a, (cnf) =>
    ctx.run(tool.path!, [`--defaults-file=${cnf}`, '-B', a.database, '-o', outDir, '-t', String(threads), '-r', String(MYDUMPER_CHUNK_ROWS), '-G', '-E', '-R']),
  );
}

/**
 * Tab-separated rows of every table (`mysqldump --tab`: the server writes the .txt files) and one
 * schema.sql with all CREATE TABLEs, foreign key checks off, for the LOAD DATA baseline.
 */
export async function tabExport(tool: Tool, a: ServerAddress, dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await withClientOptionFile(a, (cnf) => execa(tool.path!, [`--defaults-extra-file=${cnf}`, `--tab=${dir}`, '--hex-blob', a.database]));
  const schemas = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const text = ['SET FOREIGN_KEY_CHECKS=0;', ...schemas.map((f) => readFileSync(join(dir, f), 'utf8'))].join('\n');
  for (const f of schemas) rmSync(join(dir, f));
  writeFileSync(join(dir, 'schema.sql'), text);
}
