/**
 * Splitter throughput on one core, over an in-memory mysqldump-like input: extended INSERTs with
 * strings, backslash escapes, doubled quotes, hex blobs and raw UTF-8, the shape that dominates
 * real dumps.
 *
 *   node --import tsx scripts/bench/splitter.ts [--mb 256] [--chunk-kb 1024] [--runs 3]
 *   node --import tsx scripts/bench/splitter.ts --file dump.sql [--runs 3] [--warmup 1] [--json]
 *
 * With --file, a real dump is read the way the import reads it (openSqlSource's reader into pooled chunks)
 * and split; this is what `npm run bench -- import` measures, pinned to one core. Prints MB/s
 * (1 MB = 1e6 bytes) per run and the best run, by wall clock and by CPU time (steadier
 * when other work shares the cores); --json prints the runs as one JSON line instead. Target: >= 400 MB/s.
 */

import { parseArgs } from 'node:util';
import { splitStatements } from '../../pipeline/dump/splitter.js';
import { openSqlSource } from '../../pipeline/dump/sql-source.js';
import { statementPool } from '../../pipeline/dump/buffer-pool.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '256' },
    'chunk-kb': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    file: { type: 'string' },
    json: { type: 'boolean', default: false },
    warmup: { type: 'string', default: '0' },
  },
});
const totalBytes = Number(values.mb) * 1e6;
const chunkBytes = Number(values['chunk-kb']) * 1024;
const runs = Number(values.runs);

/** Deterministic pseudo-random numbers, so every run measures the same input. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['patch', 'kernel', 'série', 'Ünïcödé', 'net', 'drivers', 'fix', "it's", 'a "quote"', 'tab\there'];

function sqlString(r: () => number): string {
  const parts: string[] = [];
  const n = 2 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    parts.push(w.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/"/g, '\\"').replace(/\t/g, '\\t'));
  }
  if (r() < 0.3) parts.push("\\n\\r\\0''");
  return `'${parts.join(' ')}'`;
}

function hexBlob(r: () => number): string {
  const n = Math.floor(r() * 64);
  let s = '0x';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 256).toString(16).padStart(2, '0');
  return n === 0 ? "''" : s;
}

/** One extended INSERT of about `target` bytes, as mysqldump writes it (one line). */
function insertLine(r: () => number, id: number, target: number): { line: string; nextId: number } {
  const rows: string[] = [];
  let len = 0;
  while (len < target) {
    const row = `(${id},${sqlString(r)},${hexBlob(r)},${r() < 0.2 ? 'NULL' : sqlString(r)},'2024-01-${String(1 + (id % 28)).padStart(2, '0')} 12:00:00',${(r() * 1e6).toFixed(2)})`;
    rows.push(row);
    len += row.length + 1;
    id++;
  }
  return { line: `INSERT INTO \`patchwork_patch\` VALUES ${rows.join(',')};\n`, nextId: id };
}

function makeInput(): Buffer[] {
  const r = rng(42);
  // A ~8 MB block repeated: the splitter's speed does not depend on rows being unique.
  const parts: string[] = [
    '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n',
    'DROP TABLE IF EXISTS `patchwork_patch`;\n',
    'CREATE TABLE `patchwork_patch` (\n  `id` int NOT NULL,\n  `name` longtext,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n',
    '/*!40000 ALTER TABLE `patchwork_patch` DISABLE KEYS */;\n',
  ];
  let id = 1;
  let size = 0;
  while (size < 8e6) {
    const { line, nextId } = insertLine(r, id, 1_000_000);
    parts.push(line);
    size += line.length;
    id = nextId;
  }
  const block = Buffer.from(parts.join(''));
  const copies = Math.max(1, Math.round(totalBytes / block.length));
  const whole = Buffer.allocUnsafe(block.length * copies);
  for (let i = 0; i < copies; i++) block.copy(whole, i * block.length);
  const chunks: Buffer[] = [];
  for (let off = 0; off < whole.length; off += chunkBytes) chunks.push(whole.subarray(off, off + chunkBytes));
  return chunks;
}

async function* fromChunks(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

/** What one run of the splitter over the whole input measured. */
export interface SplitterRun {
  bytes: number;
  statements: number;
  /** Input MB per wall-clock second. */
  mbps: number;
  /** Input MB per CPU-second of this process. */
  cpuMbps: number;
}

async function run(input: () => Promise<{ chunks: AsyncIterable<Buffer>; bytes: () => number }>): Promise<SplitterRun> {
  let statements = 0;
  let sqlBytes = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const { chunks, bytes } = await input();
  for await (const s of splitStatements(chunks, { file: values.file ?? 'bench' })) {
    statements++;
    sqlBytes += s.sql.length;
    // Given back as the loader does once the server has run it, so the pool is reused alike.
    s.release();
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  if (sqlBytes === 0) throw new Error('the splitter returned nothing');
  const n = bytes();
  return { mbps: n / 1e6 / secs, cpuMbps: n / 1e6 / cpuSecs, statements, bytes: n };
}

const file = values.file;
const input = file
  ? async () => {
      const src = await openSqlSource(file, { pool: statementPool });
      return { chunks: src.chunks, bytes: () => src.bytesRead() };
    }
  : (() => {
      const chunks = makeInput();
      const total = chunks.reduce((a, c) => a + c.length, 0);
      return async () => ({ chunks: fromChunks(chunks), bytes: () => total });
    })();
// Untimed passes first: the import's runs read the dump from the page cache, and so should these.
for (let i = 0; i < Number(values.warmup); i++) await run(input);
const results: SplitterRun[] = [];
for (let i = 0; i < runs; i++) {
  const r = await run(input);
  results.push(r);
  if (!values.json) {
    console.log(
      `run ${i + 1}: ${(r.bytes / 1e6).toFixed(0)} MB, ${r.statements} statements, ${r.mbps.toFixed(0)} MB/s (${r.cpuMbps.toFixed(0)} MB/s of CPU time)`,
    );
  }
}
const best = Math.max(...results.map((r) => r.mbps));
const bestCpu = Math.max(...results.map((r) => r.cpuMbps));
if (values.json) {
  console.log(JSON.stringify({ input: file ?? 'generated', runs: results }));
} else {
  // Wall-clock MB/s is the headline; MB per CPU-second is steadier on a shared, loaded machine.
  console.log(
    `splitter: ${best.toFixed(0)} MB/s wall, ${bestCpu.toFixed(0)} MB/s of CPU time (best of ${runs}, ${file ? `file ${file}` : `${values['chunk-kb']} KiB chunks`}, node ${process.version})`,
  );
}
