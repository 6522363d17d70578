/**
 * The data every comparison uses, made once per (patches, seed) and cached in the work directory
 * (bench/work/, git-ignored): the generated Patchwork 1.0 dump, a datadir with it loaded, and the
 * same rows as a mydumper export (myloader's input) and as tab-separated files (LOAD DATA's).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePatchworkToFile } from '../../transforms/patchwork/generate.js';
import type { GenerateSummary } from '../../transforms/patchwork/generate.js';
import { importDump, LEDGER_TABLE } from '../../pipeline/stages/import.js';
import { connect, qid } from '../../pipeline/db/connection.js';
import type { ServerAddress } from '../../pipeline/db/url.js';
import type { StartedServer } from '../../pipeline/engine/engine.js';
import { emptyDataDir, keepAs, serverFrom, discard } from './servers.js';
import { mydumperExport, tabExport } from './baselines.js';
import type { Tool, ToolName } from './baselines.js';
import type { MeasureContext } from './measure.js';

export interface BenchData {
  patches: number;
  seed: number;
  dir: string;
  dump: string;
  dumpBytes: number;
  /** Rows per table, as generated. */
  rows: Record<string, number>;
  totalRows: number;
  /** Datadir holding the dump loaded into `bench` (for migrate and export). */
  loadedDataDir?: string;
  /** mydumper's export of the loaded database, or why there is none. */
  mydumperDir?: string;
  mydumperMissing?: string;
  /** mysqldump --tab output plus schema.sql, or why there is none. */
  tabDir?: string;
  tabMissing?: string;
}

export interface PrepareOptions {
  workDir: string;
  patches: number;
  seed: number;
  threads: number;
  tools: Record<ToolName, Tool>;
  /** Make the loaded datadir and the baseline inputs (not needed for a drydock-vs-client import). */
  loaded: boolean;
  log: (s: string) => void;
}

/** Exact row counts of the generated tables on a server; the tables that differ from `expected`. */
export async function rowMismatches(a: ServerAddress, expected: Record<string, number>): Promise<string[]> {
  const c = await connect(a);
  try {
    const out: string[] = [];
    for (const [t, n] of Object.entries(expected)) {
      try {
        const [r] = await c.query(`SELECT COUNT(*) AS n FROM ${qid(t)}`);
        const got = Number((r as Array<{ n: number }>)[0]?.n ?? -1);
        if (got !== n) out.push(`${t}: ${got} rows, expected ${n}`);
      } catch (err) {
        out.push(`${t}: ${(err as Error).message}`);
      }
    }
    return out;
  } finally {
    await c.end();
  }
}

const noCtx: MeasureContext = {
  async run(file, args, options) {
    const { execa } = await import('execa');
    const r = await execa(file, args, { ...(options ?? {}), stdout: options?.stdout ?? 'pipe', stderr: 'pipe' });
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  },
};

export async function prepareData(o: PrepareOptions): Promise<BenchData> {
  const dir = join(o.workDir, `patchwork-1.0-n${o.patches}-seed${o.seed}`);
  mkdirSync(dir, { recursive: true });
  const dump = join(dir, 'dump.sql');
  const summaryFile = join(dir, 'summary.json');
  if (!existsSync(dump) || !existsSync(summaryFile)) {
    o.log(`bench: generating a Patchwork 1.0 dump of ${o.patches} patches (seed ${o.seed}) into ${dump}`);
    const t0 = Date.now();
    const s = await generatePatchworkToFile({ patches: o.patches, version: '1.0', seed: o.seed }, `${dump}.partial`);
    renameSync(`${dump}.partial`, dump);
    writeFileSync(summaryFile, JSON.stringify(s, null, 2) + '\n');
    o.log(`bench: generated ${(s.bytes / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as GenerateSummary;
  const data: BenchData = {
    patches: o.patches,
    seed: o.seed,
    dir,
    dump,
    dumpBytes: statSync(dump).size,
    rows: summary.rows,
    totalRows: Object.values(summary.rows).reduce((a, b) => a + b, 0),
  };
  if (!o.loaded) return data;

  const loaded = join(dir, 'loaded');
  const loadedReady = join(dir, 'loaded.ready');
  const mydumperDir = join(dir, 'mydumper');
  const mydumperReady = join(dir, 'mydumper.ready');
  const tabDir = join(dir, 'tab');
  const tabReady = join(dir, 'tab.ready');
  const wantMydumper = !!o.tools.mydumper.path && !existsSync(mydumperReady);
  const wantTab = !!o.tools.mysqldump.path && !!o.tools['mariadb-import'].path && !existsSync(tabReady);

  if (!existsSync(loadedReady) || wantMydumper || wantTab) {
    let server: StartedServer | undefined;
    const name = `prepare-n${o.patches}`;
    try {
      if (!existsSync(loadedReady)) {
        o.log('bench: loading the dump once (drydock importer) to make the loaded datadir and the baselines\' inputs');
        server = await serverFrom(o.workDir, name, await emptyDataDir(o.workDir));
        await importDump({ address: server.address, dump, threads: o.threads });
        const c = await connect(server.address);
        await c.query(`DROP TABLE IF EXISTS ${qid(LEDGER_TABLE)}`);
        await c.end();
        const bad = await rowMismatches(server.address, data.rows);
        if (bad.length) throw new Error(`the loaded database does not hold the generated rows: ${bad.join('; ')}`);
      } else {
        server = await serverFrom(o.workDir, name, loaded);
      }
      if (wantMydumper) {
        o.log('bench: exporting with mydumper (myloader\'s input)');
        await mydumperExport(noCtx, o.tools.mydumper, server.address, mydumperDir, o.threads);
        writeFileSync(mydumperReady, '');
      }
      if (wantTab) {
        o.log('bench: exporting tab-separated rows (LOAD DATA\'s input)');
        await tabExport(o.tools.mysqldump, server.address, tabDir);
        writeFileSync(tabReady, '');
      }
      if (!existsSync(loadedReady)) {
        await keepAs(server, o.workDir, name, loaded);
        writeFileSync(loadedReady, '');
      } else {
        await discard(server, o.workDir, name);
      }
      server = undefined;
    } finally {
      if (server) await discard(server, o.workDir, name).catch(() => {});
    }
  }
  data.loadedDataDir = loaded;
  if (existsSync(mydumperReady)) data.mydumperDir = mydumperDir;
  else data.mydumperMissing = o.tools.mydumper.missing ?? 'mydumper export not made';
  if (existsSync(tabReady)) data.tabDir = tabDir;
  else data.tabMissing = o.tools['mariadb-import'].missing ?? o.tools.mysqldump.missing ?? 'tab export not made';
  return data;
}
