import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { ConfigError, StageError } from '../../pipeline/errors.js';
import {
  generatePatchwork,
  generatePatchworkToFile,
  MAX_STATEMENT_BYTES,
  sqlString,
  type GenerateOptions,
  type GenerateSummary,
} from '../../transforms/patchwork/generate.js';

type Value = string | number | null;

/** Collects everything written, counting writes, optionally slow to force backpressure. */
class Sink extends Writable {
  chunks: Buffer[] = [];
  writes = 0;
  constructor(private readonly delayMs = 0, highWaterMark?: number) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.writes++;
    if (this.delayMs) setTimeout(cb, this.delayMs);
    else cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

async function generate(opts: Partial<GenerateOptions> & { patches: number }, sink = new Sink()): Promise<{ sql: string; summary: GenerateSummary; sink: Sink }> {
  const summary = await generatePatchwork({ version: '1.0', ...opts }, sink);
  return { sql: sink.text(), summary, sink };
}

/** Parses `(v,...),(v,...)` as mysqldump writes it: numbers, NULL, and backslash-escaped strings. */
function parseTuples(values: string): Value[][] {
  const rows: Value[][] = [];
  const unescape: Record<string, string> = { '0': '\0', n: '\n', r: '\r', Z: '\x1a', "'": "'", '"': '"', '\\': '\\' };
  const special = /['\\]/g;
  let i = 0;
  while (i < values.length) {
    assert.equal(values[i], '(', `tuple starts at ${i}`);
    i++;
    const row: Value[] = [];
    for (;;) {
      if (values[i] === "'") {
        let s = '';
        i++;
        for (;;) {
          special.lastIndex = i;
          const m = special.exec(values);
          if (!m) throw new Error(`unterminated string at ${i}`);
          s += values.slice(i, m.index);
          i = m.index;
          if (values[i] === "'") break;
          s += unescape[values[i + 1] as string] ?? values[i + 1];
          i += 2;
        }
        i++;
        row.push(s);
      } else {
        let j = i;
        while (values[j] !== ',' && values[j] !== ')') j++;
        const tok = values.slice(i, j);
        row.push(tok === 'NULL' ? null : Number(tok));
        i = j;
      }
      if (values[i] === ',') {
        i++;
        continue;
      }
      assert.equal(values[i], ')');
      i++;
      break;
    }
    rows.push(row);
    if (values[i] === ',') i++;
  }
  return rows;
}

function insertStatements(sql: string, table: string): string[] {
  const prefix = `INSERT INTO \`${table}\` VALUES `;
  return sql
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length, -1));
}

function rowsOf(sql: string, table: string): Value[][] {
  return insertStatements(sql, table).flatMap(parseTuples);
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const schemaText = readFileSync(new URL('../../transforms/patchwork/schema/patchwork-1.0.sql', import.meta.url), 'utf8');

describe('generatePatchwork (1.0)', () => {
  test('is deterministic: same seed, same bytes; another seed, other bytes', async () => {
    const a = await generate({ patches: 300 });
    const b = await generate({ patches: 300 });
    const c = await generate({ patches: 300, seed: 2 });
    assert.equal(sha(a.sql), sha(b.sql));
    assert.notEqual(sha(a.sql), sha(c.sql));
    assert.equal(a.summary.bytes, Buffer.byteLength(a.sql));
  });

  test('is a mysqldump-style file: reference header, DDL and footer, data inside LOCK TABLES', async () => {
    const { sql, summary } = await generate({ patches: 50 });
    const header = schemaText.slice(0, schemaText.indexOf('DROP TABLE IF EXISTS'));
    assert.ok(sql.startsWith(header));
    assert.match(sql, /FOREIGN_KEY_CHECKS=0/);
    for (const m of schemaText.matchAll(/CREATE TABLE `([^`]+)` \([\s\S]*?;\n/g)) {
      const table = m[1] as string;
      assert.ok(sql.includes(m[0]), `CREATE TABLE ${table} as in the reference`);
      assert.ok(sql.includes(`LOCK TABLES \`${table}\` WRITE;\n/*!40000 ALTER TABLE \`${table}\` DISABLE KEYS */;\n`));
      assert.equal(typeof summary.rows[table], 'number', `rows reported for ${table}`);
    }
    assert.ok(sql.endsWith('/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n\n'));
  });

  test('row counts scale with N; fixtures and contrib rows stay fixed', async () => {
    const small = (await generate({ patches: 1000 })).summary.rows;
    const big = (await generate({ patches: 4000 })).summary.rows;
    assert.equal(small.patchwork_patch, 1000);
    assert.equal(big.patchwork_patch, 4000);
    for (const [t, want] of Object.entries({
      patchwork_state: 10,
      patchwork_tag: 3,
      django_migrations: 22,
      django_site: 1,
      django_content_type: 20,
      auth_permission: 80,
      patchwork_project: 74,
    })) {
      assert.equal(small[t], want, t);
      assert.equal(big[t], want, t);
    }
    const ratio = (t: string): number => (big[t] as number) / (small[t] as number);
    for (const t of ['patchwork_comment', 'patchwork_person', 'auth_user', 'patchwork_userprofile', 'patchwork_bundle', 'patchwork_patchtag']) {
      assert.ok(ratio(t) > 3.3 && ratio(t) < 4.7, `${t} scales ~4x (got ${ratio(t).toFixed(2)})`);
    }
    // One comment per patch for its own mail, plus replies.
    assert.ok((big.patchwork_comment as number) > 1.9 * 4000 && (big.patchwork_comment as number) < 2.5 * 4000);
    assert.equal(big.auth_user, big.patchwork_userprofile, 'every user has a profile');
  });

  test('lkml holds ~43% of patches; user profiles point at lkml and its maintainers maintain others', async () => {
    const { sql } = await generate({ patches: 5000 });
    const projects = rowsOf(sql, 'patchwork_project');
    const lkml = projects.find((p) => p[1] === 'lkml');
    assert.ok(lkml);
    assert.equal(lkml[2], 'Linux Kernel Mailing List');
    assert.equal(lkml[3], 'linux-kernel.vger.kernel.org');
    const patches = rowsOf(sql, 'patchwork_patch');
    const share = patches.filter((p) => p[11] === lkml[0]).length / patches.length;
    assert.ok(share > 0.4 && share < 0.46, `lkml share ${share}`);
    const profiles = rowsOf(sql, 'patchwork_userprofile');
    assert.ok(profiles.filter((p) => p[3] === lkml[0]).length >= 2);
    const links = rowsOf(sql, 'patchwork_userprofile_maintainer_projects');
    const lkmlMaintainers = new Set(links.filter((l) => l[2] === lkml[0]).map((l) => l[1]));
    assert.ok(links.some((l) => lkmlMaintainers.has(l[1] as number) && l[2] !== lkml[0]));
  });

  test("each patch has a comment with its own msgid, submitter, date and headers (1.0's storage)", async () => {
    const { sql } = await generate({ patches: 1000 });
    const comments = new Map<string, Value[]>();
    for (const c of rowsOf(sql, 'patchwork_comment')) comments.set(`${c[5]}|${c[1]}`, c);
    let own = 0;
    for (const p of rowsOf(sql, 'patchwork_patch')) {
      const c = comments.get(`${p[0]}|${p[1]}`);
      if (!c) continue;
      own++;
      assert.equal(c[2], p[3]);
      assert.equal(c[3], p[5]);
      assert.equal(c[6], p[13]);
    }
    assert.ok(own >= 985, `own comments ${own}`);
  });

  test('even a tiny dump holds every edge case', async () => {
    const { sql, summary } = await generate({ patches: 12 });
    const patches = rowsOf(sql, 'patchwork_patch');
    const msgids = patches.map((p) => p[1]);
    assert.ok(msgids.some((m, i) => msgids.indexOf(m) !== i), 'a cross-post: same msgid in two projects');
    assert.ok(patches.some((p) => p[7] !== null && p[6] === null && p[9] === null), 'a pull request without diff or hash');
    const own = new Set(rowsOf(sql, 'patchwork_comment').map((c) => `${c[5]}|${c[1]}`));
    assert.ok(patches.some((p) => !own.has(`${p[0]}|${p[1]}`)), 'a patch without its own comment');
    assert.ok(rowsOf(sql, 'patchwork_comment').some((c) => c[4] === ''), 'an empty comment');
    assert.ok(rowsOf(sql, 'patchwork_person').some((p) => p[2] === null), 'a person without name');
    assert.ok(patches.some((p) => /\p{Extended_Pictographic}/u.test(p[2] as string)), 'an emoji subject');
    assert.equal(summary.rows.patchwork_patchchangenotification, 1);
  });

  test('writes in many chunks and keeps extended INSERTs under the statement bound', async () => {
    const { sql, sink } = await generate({ patches: 2000 });
    assert.ok(sink.writes >= 10, `writes: ${sink.writes}`);
    for (const stmt of insertStatements(sql, 'patchwork_patch').concat(insertStatements(sql, 'patchwork_comment'))) {
      const rows = parseTuples(stmt).length;
      if (rows > 1) assert.ok(stmt.length <= MAX_STATEMENT_BYTES, `statement of ${rows} rows is ${stmt.length} chars`);
    }
  });

  test('waits for drain on a slow stream and still writes the same bytes', async () => {
    const fast = await generate({ patches: 200 });
    const slow = await generate({ patches: 200 }, new Sink(1, 1024));
    assert.equal(sha(slow.sql), sha(fast.sql));
  });

  test('escapes like mysqldump', () => {
    assert.equal(sqlString(`a'b"c\\d\0e\nf\rg\x1ah`), `'a\\'b\\"c\\\\d\\0e\\nf\\rg\\Zh'`);
    assert.deepEqual(parseTuples(`(1,${sqlString("Jörg's 张三 🐧\n\\0")},NULL)`), [[1, "Jörg's 张三 🐧\n\\0", null]]);
  });

  test('nullStatePatches gives exactly that many NULL state_id', async () => {
    const { sql } = await generate({ patches: 500, nullStatePatches: 37 });
    assert.equal(rowsOf(sql, 'patchwork_patch').filter((p) => p[12] === null).length, 37);
    const none = await generate({ patches: 500 });
    assert.equal(rowsOf(none.sql, 'patchwork_patch').filter((p) => p[12] === null).length, 0);
  });

  test('django_migrations rows are exactly the 1.0 reference', async () => {
    const { sql } = await generate({ patches: 10 });
    const ref = readFileSync(new URL('../../transforms/patchwork/schema/patchwork-1.0-django_migrations.sql', import.meta.url), 'utf8');
    const want = [...ref.matchAll(/^INSERT INTO `django_migrations` VALUES (\(.*\));$/gm)].flatMap((m) => parseTuples(m[1] as string));
    assert.equal(want.length, 22);
    assert.deepEqual(rowsOf(sql, 'django_migrations'), want);
  });

  test('states and tags are Patchwork fixtures', async () => {
    const { sql } = await generate({ patches: 10 });
    assert.deepEqual(rowsOf(sql, 'patchwork_state').map((s) => [s[1], s[2], s[3]]), [
      ['New', 0, 1], ['Under Review', 1, 1], ['Accepted', 2, 0], ['Rejected', 3, 0], ['RFC', 4, 0],
      ['Not Applicable', 5, 0], ['Changes Requested', 6, 0], ['Awaiting Upstream', 7, 0], ['Superseded', 8, 0], ['Deferred', 9, 0],
    ]);
    assert.deepEqual(rowsOf(sql, 'patchwork_tag'), [
      [1, 'Acked-by', '^Acked-by:', 'A'],
      [2, 'Reviewed-by', '^Reviewed-by:', 'R'],
      [3, 'Tested-by', '^Tested-by:', 'T'],
    ]);
  });

  test('a file that cannot be written fails with StageError, not a crash or a hang', async () => {
    await assert.rejects(
      generatePatchworkToFile({ patches: 50, version: '1.0' }, '/nonexistent-dir/x.sql'),
      (err: unknown) => err instanceof StageError && /nonexistent-dir/.test(err.message),
    );
  });

  test('rejects unsupported versions and bad counts with ConfigError', async () => {
    await assert.rejects(generate({ patches: 10, version: '2.1' as '1.0' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.hint ?? '', /1\.0/);
      return true;
    });
    await assert.rejects(generate({ patches: 10, nullStatePatches: 11 }), ConfigError);
    await assert.rejects(generate({ patches: 0 }), ConfigError);
  });
});
