/**
 * Rewrites DDL (and dump-header SET statements) written by one server flavor so that the other
 * flavor loads it with the same meaning. Pure: text in, text out, no server.
 *
 * Rule: rewrite only what has an exact, or a documented near-exact, equivalent, and say so in
 * `rewrites` (one human-readable line per change, caveats included). A construct with no
 * equivalent throws {@link FlavorError} naming it and what to do; nothing is dropped silently.
 *
 * What MariaDB 10.11 really does with MySQL's versioned comments (observed on 10.11.19 through
 * mysql2, so no client-side stripping): it executes `/*!NNNNN ...*\/` for NNNNN < 50700 and for
 * six-digit versions up to its own (101119), and treats every five-digit version from 50700 to
 * 99999 as a plain comment. So `/*!80016 DEFAULT ENCRYPTION='N' *\/` is ignored (harmless), but
 * `/*!80023 INVISIBLE *\/` silently makes the column visible and `/*!80016 NOT ENFORCED *\/`
 * silently makes a CHECK constraint enforced — which can reject rows MySQL accepted. Hence these
 * comments are rewritten explicitly, and an unknown one inside a statement is an error.
 *
 * The MySQL 8 direction is checked only against the grammar as documented: drydock's test server
 * is MariaDB, there is no MySQL server on this machine.
 */
import { PipelineError } from '../errors.js';
import type { Flavor } from '../engine/engine.js';

/** A construct the target flavor cannot express; the importer wraps it in a DumpError with the location. */
export class FlavorError extends PipelineError {
  override name = 'FlavorError';
  /** The offending construct, e.g. `uuid column type` or `functional index`. */
  readonly construct: string;
  constructor(construct: string, message: string, hint: string) {
    super('import', message, { hint });
    this.construct = construct;
  }
}

export interface FlavorHint {
  /** Flavor that wrote the dump. When equal to the target, the statement is returned unchanged. */
  source?: Flavor;
  /**
   * Target server version, e.g. `10.11.19-MariaDB-0+deb12u1` or `8.0.36`. Picks between equivalents
   * that only newer servers have (uca1400 collations: MariaDB ≥ 10.10; IGNORED indexes: ≥ 10.6;
   * utf8mb3 as a name: ≥ 10.6). Default: MariaDB 10.11 / MySQL 8.0, what drydock's engines run.
   */
  targetVersion?: string;
}

export interface FlavorRewrite {
  /** The rewritten statement; '' when the whole statement must be skipped (see `rewrites`). */
  sql: string;
  /** One line per change made, empty when the statement was already fine. */
  rewrites: string[];
}

/** MySQL 0900 language tailorings → MariaDB uca1400 tailoring names (MariaDB ≥ 10.10). */
const MYSQL_LANG_TO_MARIADB: Record<string, string> = {
  is: 'icelandic',
  lv: 'latvian',
  ro: 'romanian',
  sl: 'slovenian',
  pl: 'polish',
  et: 'estonian',
  es: 'spanish',
  sv: 'swedish',
  tr: 'turkish',
  cs: 'czech',
  da: 'danish',
  lt: 'lithuanian',
  sk: 'slovak',
  es_trad: 'spanish2',
  la: 'roman',
  eo: 'esperanto',
  hu: 'hungarian',
  hr: 'croatian',
  vi: 'vietnamese',
};
const MARIADB_LANG_TO_MYSQL: Record<string, string> = Object.fromEntries(Object.entries(MYSQL_LANG_TO_MARIADB).map(([k, v]) => [v, k]));

/** Types MySQL 8 has no equivalent for. */
const MARIADB_ONLY_TYPES = ['uuid', 'inet6', 'inet4'];
const BLOB_TYPES = /^(tiny|medium|long)?(blob|text)\b|^json\b|^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)\b/i;

function versionNumber(v: string | undefined, fallback: number): number {
  const m = v ? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v) : null;
  if (!m) return fallback;
  return Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3] ?? 0);
}

/**
 * Text with every string literal, quoted identifier and plain comment replaced by `\0n\0`, so
 * rewrites never touch data or names. Versioned comments (`/*!`, `/*M!`) stay: they are code.
 */
class Masked {
  readonly parts: string[] = [];
  text: string;
  constructor(sql: string) {
    let out = '';
    let i = 0;
    const n = sql.length;
    while (i < n) {
      const c = sql[i]!;
      let end = -1;
      if (c === "'" || c === '"' || c === '`') {
        let j = i + 1;
        while (j < n) {
          const d = sql[j]!;
          if (d === '\\' && c !== '`') j += 2;
          else if (d === c) {
            if (sql[j + 1] === c) j += 2;
            else break;
          } else j++;
        }
        end = Math.min(j + 1, n);
      } else if (c === '/' && sql[i + 1] === '*' && sql[i + 2] !== '!' && !(sql[i + 2] === 'M' && sql[i + 3] === '!')) {
        const j = sql.indexOf('*/', i + 2);
        end = j < 0 ? n : j + 2;
      } else if ((c === '-' && sql[i + 1] === '-' && /\s/.test(sql[i + 2] ?? ' ')) || c === '#') {
        const j = sql.indexOf('\n', i);
        end = j < 0 ? n : j;
      }
      if (end >= 0) {
        out += `\0${this.parts.length}\0`;
        this.parts.push(sql.slice(i, end));
        i = end;
      } else {
        out += c;
        i++;
      }
    }
    this.text = out;
  }
  unmask(s: string): string {
    return s.replace(/\0(\d+)\0/g, (_, k: string) => this.parts[Number(k)] ?? '');
  }
}

/** Splits at commas outside parentheses (strings are already masked). */
function splitTopLevel(s: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push(s.slice(start, i));
      start = i + 1;
    }
  }
  items.push(s.slice(start));
  return items;
}

/** Index of the `)` matching the `(` at `open`, or -1. */
function matchParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

const VERSIONED = /\s*\/\*!(\d{5,6})\s*([\s\S]*?)\*\//g;
/** MariaDB treats these five-digit versioned comments as plain comments (observed, see the file header). */
function mariadbIgnores(version: number): boolean {
  return version >= 50700 && version <= 99999;
}

class Rewriter {
  readonly rewrites: string[] = [];
  readonly m: Masked;
  readonly target: Flavor;
  readonly tv: number;
  table = '';

  constructor(sql: string, target: Flavor, hint: FlavorHint) {
    this.m = new Masked(sql);
    this.target = target;
    this.tv = versionNumber(hint.targetVersion, target === 'mariadb' ? 101100 : 80000);
  }

  note(text: string): void {
    if (!this.rewrites.includes(text)) this.rewrites.push(text);
  }

  fail(construct: string, message: string, hint: string): never {
    const where = this.table ? ` in table ${this.table}` : '';
    throw new FlavorError(construct, `${message}${where}`, hint);
  }

  run(): string {
    const t = this.m.text;
    if (this.target === 'mariadb') return this.toMariadb(t);
    return this.toMysql(t);
  }

  // ---------------------------------------------------------------- MySQL 8 → MariaDB

  toMariadb(text: string): string {
    let t = text;
    const head = t.replace(/\/\*!\d{5,6}\s*/g, '').replace(/\*\//g, '').trimStart();
    if (/^SET\s+@@(GLOBAL\.)?GTID_PURGED\b/i.test(head)) {
      this.note('skipped SET @@GLOBAL.GTID_PURGED: MySQL GTIDs mean nothing to MariaDB (its gtid_slave_pos has another format), and a scratch server does not replicate');
      return '';
    }
    const whole = /^\s*\/\*!(\d{5})\s*([\s\S]*?)\*\/\s*$/.exec(t);
    if (whole && mariadbIgnores(Number(whole[1]))) {
      this.note(`skipped /*!${whole[1]} ...*/ statement: MariaDB ignores MySQL ${whole[1]} comments anyway (${this.m.unmask(whole[2]!).trim().slice(0, 60)})`);
      return '';
    }
    const create = /^\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:\0\d+\0|[\w$]+)(?:\s*\.\s*(?:\0\d+\0|[\w$]+))?)\s*\(/i.exec(t);
    if (create) t = this.createTableToMariadb(t, create);
    t = this.versionedToMariadb(t);
    t = this.collationsToMariadb(t);
    t = t.replace(/\s*\b(COLUMN_FORMAT\s+(?:FIXED|DYNAMIC|DEFAULT)|STORAGE\s+(?:DISK|MEMORY|DEFAULT))\b/gi, (_m, what: string) => {
      this.note(`removed ${what.toUpperCase()}: an NDB Cluster storage hint that InnoDB ignores; MariaDB does not parse it`);
      return '';
    });
    t = t.replace(/\s*\/\*!\d{5,6}\s*\*\//g, '');
    if (this.tv < 100600) {
      t = t.replace(/\butf8mb3(?=_|\b)/gi, () => {
        this.note('renamed utf8mb3 to utf8: the same character set, under the name MariaDB before 10.6 knows');
        return 'utf8';
      });
    }
    return t;
  }

  createTableToMariadb(t: string, create: RegExpExecArray): string {
    this.table = this.m.unmask(create[1]!).replace(/`/g, '');
    const open = create.index + create[0].length - 1;
    const close = matchParen(t, open);
    if (close < 0) return t;
    const items = splitTopLevel(t.slice(open + 1, close));
    const kept: string[] = [];
    for (const item of items) {
      const r = this.itemToMariadb(item);
      if (r !== null) kept.push(r);
    }
    const options = this.tableOptionsToMariadb(t.slice(close + 1));
    return `${t.slice(0, open + 1)}${kept.join(',')}${kept.length && !/\n\s*$/.test(kept[kept.length - 1]!) && /\n\s*$/.test(items[items.length - 1]!) ? '\n' : ''})${options}`;
  }

  /** One column or index definition; null drops it. */
  itemToMariadb(item: string): string | null {
    const body = item.trim();
    const isIndex = /^(PRIMARY\s+KEY|UNIQUE|KEY|INDEX|FULLTEXT|SPATIAL|CONSTRAINT|CHECK|FOREIGN\s+KEY)\b/i.test(body);
    if (/\/\*!\d{5}\s*NOT\s+ENFORCED\s*\*\//i.test(body) || /\bNOT\s+ENFORCED\b/i.test(body)) {
      if (!/^(CONSTRAINT\s+\S+\s+)?CHECK\b/i.test(body)) {
        this.fail('NOT ENFORCED', 'a column-level CHECK ... NOT ENFORCED has no MariaDB equivalent (MariaDB enforces every CHECK constraint)', 'move the constraint to a table-level CONSTRAINT ... CHECK in the source, or drop it there');
      }
      this.note(`removed CHECK constraint ${this.m.unmask(body.replace(/\/\*![\s\S]*$/, '')).replace(/\s+/g, ' ').trim().slice(0, 100)}: MySQL does not enforce it (NOT ENFORCED) and MariaDB would, rejecting rows MySQL accepted; an unenforced constraint behaves like none`);
      return null;
    }
    if (isIndex) {
      const open = body.indexOf('(');
      const parts = open >= 0 && !/^(CONSTRAINT\s+\S+\s+)?CHECK\b/i.test(body) ? splitTopLevel(body.slice(open + 1, matchParen(body, open))) : [];
      if (!/^(CONSTRAINT\s+\S+\s+)?(CHECK|FOREIGN)\b/i.test(body) && parts.some((p) => p.trim().startsWith('('))) {
        this.fail(
          'functional index',
          `functional index ${this.m.unmask(body).replace(/\s+/g, ' ').slice(0, 100)} has no MariaDB equivalent`,
          'in the source, replace it with an index on a generated column (ADD COLUMN c ... AS (expr) VIRTUAL, ADD INDEX (c)) before dumping, or drop the index',
        );
      }
      return item.replace(/\s*\/\*!(\d{5})\s*INVISIBLE\s*\*\//i, () => {
        if (this.tv < 100600) this.fail('invisible index', 'an INVISIBLE index needs MariaDB 10.6 or later (IGNORED)', 'use a MariaDB ≥ 10.6 scratch server, or make the index visible in the source');
        this.note('rewrote index /*!80000 INVISIBLE */ to IGNORED: MariaDB\'s name for an index the optimizer does not use');
        return ' IGNORED';
      });
    }
    let r = item.replace(/\s*\/\*!(\d{5})\s*INVISIBLE\s*\*\//i, () => {
      this.note('rewrote column /*!80023 INVISIBLE */ to INVISIBLE (MariaDB ≥ 10.3 has the same invisible columns; MariaDB would ignore the comment and make the column visible)');
      return ' INVISIBLE';
    });
    r = r.replace(/\s*\/\*!(\d{5})\s*SRID\s+(\d+)\s*\*\//i, (_m, _v: string, srid: string) => {
      this.note(`removed SRID ${srid} from a geometry column: MariaDB has no per-column SRID restriction (values keep their SRID; only the check that every value uses SRID ${srid} is lost)`);
      return '';
    });
    r = r.replace(/\s*\/\*!(\d{5})\s*(?:VISIBLE)\s*\*\//i, '');
    return r;
  }

  tableOptionsToMariadb(opts: string): string {
    let o = opts.replace(/\s*\/\*!\d{5}\s*((?:DEFAULT\s+)?ENCRYPTION\s*=?\s*(\0\d+\0))\s*\*\//gi, (m, what: string, val: string) =>
      this.encryption(what, val) ? m : '',
    );
    o = o.replace(/\s*((?:DEFAULT\s+)?ENCRYPTION\s*=?\s*(\0\d+\0))/gi, (m, what: string, val: string) => (this.encryption(what, val) ? m : ''));
    o = o.replace(/\s*\bSECONDARY_ENGINE(?:_ATTRIBUTE)?\s*=?\s*(?:\0\d+\0|\w+)/gi, (m) => {
      this.note(`removed ${this.m.unmask(m).trim()}: a HeatWave secondary engine holds a copy for analytics; the data lives in the primary engine`);
      return '';
    });
    return o;
  }

  /** Returns true to keep the option (never: 'Y' throws). */
  encryption(what: string, val: string): boolean {
    const v = this.m.unmask(val).replace(/['"]/g, '').toUpperCase();
    if (v === 'N') {
      this.note(`removed ${this.m.unmask(what)}: 'N' means not encrypted, which is MariaDB's default (MariaDB would ignore /*!80016 ...*/ anyway)`);
      return false;
    }
    this.fail('ENCRYPTION', `${this.m.unmask(what)} asks for an encrypted tablespace; MariaDB encrypts through a key-management plugin, not per table like this`, "remove ENCRYPTION='Y' from the dump (the scratch copy does not need it), or configure MariaDB data-at-rest encryption");
  }

  versionedToMariadb(t: string): string {
    return t.replace(VERSIONED, (m, ver: string, body: string) => {
      const v = Number(ver);
      if (!mariadbIgnores(v)) return m;
      const b = body.trim();
      const plain = this.m.unmask(b);
      if (/^(DEFAULT\s+)?ENCRYPTION\s*=?\s*\0\d+\0$/i.test(b)) {
        const val = /\0\d+\0/.exec(b)![0];
        return this.encryption(b.replace(/\s*=?\s*\0\d+\0$/, ''), val) ? m : '';
      }
      if (/^VISIBLE$/i.test(b) || b === '') return '';
      this.fail(
        `/*!${ver} */`,
        `MySQL versioned comment /*!${ver} ${plain.slice(0, 80)} */ would be silently ignored by MariaDB (it skips /*!50700 to /*!99999), and drydock cannot tell whether that keeps its meaning`,
        'remove or rewrite the comment in the dump (e.g. with sed) if its content is not needed, or report the construct so drydock learns to rewrite it',
      );
    });
  }

  collationsToMariadb(t: string): string {
    return t.replace(/\b(utf8mb4|utf8mb3|utf8)_(?:([a-z]{2}(?:_[a-z]{2,4})?)_)?0900_(ai_ci|as_ci|as_cs|bin)\b/gi, (m, cs: string, lang: string | undefined, kind: string) => {
      const k = kind.toLowerCase();
      if (k === 'bin') {
        this.note(`collation ${m} → utf8mb4_nopad_bin: exact (both compare code points and are NO PAD)`);
        return 'utf8mb4_nopad_bin';
      }
      let tailoring = '';
      if (lang) {
        const l = MYSQL_LANG_TO_MARIADB[lang.toLowerCase()];
        if (!l) this.fail(m, `collation ${m} has no MariaDB equivalent`, 'change the collation in the source to a language MariaDB has (uca1400 tailorings) or to utf8mb4_0900_ai_ci before dumping');
        tailoring = `${l}_`;
      }
      if (this.tv >= 101000) {
        const to = `utf8mb4_uca1400_${tailoring}nopad_${k}`;
        this.note(
          `collation ${m} → ${to}: near-exact, not identical. Both are NO PAD UCA collations, but MySQL's 0900 uses UCA 9.0.0 and MariaDB's uca1400 UCA 14.0.0: ` +
            'characters added after Unicode 9 (newer emoji, some CJK extensions) and a few reordered weights compare and sort differently, so ORDER BY or a UNIQUE key over such text can differ',
        );
        return to;
      }
      if (lang || k !== 'ai_ci') {
        this.fail(m, `collation ${m} needs MariaDB 10.10 or later (utf8mb4_uca1400_*); older MariaDB has no equivalent`, 'use a MariaDB ≥ 10.10 scratch server');
      }
      this.note(
        `collation ${m} → utf8mb4_unicode_520_nopad_ci: approximate (MariaDB before 10.10 has no UCA 9.0 collation). Both are NO PAD and accent/case insensitive, but UCA 5.2 vs 9.0 weights differ for many characters; use MariaDB ≥ 10.10 for the closer uca1400`,
      );
      return 'utf8mb4_unicode_520_nopad_ci';
    });
  }

  // ---------------------------------------------------------------- MariaDB → MySQL 8

  toMysql(text: string): string {
    let t = text;
    t = t.replace(/^\s*\/\*M!999999\\- enable the sandbox mode\s*\*\/\s*/, () => {
      this.note('removed the /*M!999999\\- enable the sandbox mode */ line: a MariaDB client command that the MySQL client rejects');
      return '';
    });
    const head = t.replace(/\/\*!\d{5,6}\s*/g, '').trimStart();
    if (/^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?SEQUENCE\b/i.test(head)) {
      this.fail('SEQUENCE', 'CREATE SEQUENCE: MySQL 8 has no sequences', 'in the source, replace the sequence with an AUTO_INCREMENT column or a one-row counter table before dumping');
    }
    const create = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?((?:\0\d+\0|[\w$]+)(?:\s*\.\s*(?:\0\d+\0|[\w$]+))?)\s*\(/i.exec(t);
    if (create) t = this.createTableToMysql(t, create);
    t = this.collationsToMysql(t);
    return t;
  }

  createTableToMysql(t: string, create: RegExpExecArray): string {
    this.table = this.m.unmask(create[1]!).replace(/`/g, '');
    const open = create.index + create[0].length - 1;
    const close = matchParen(t, open);
    if (close < 0) return t;
    let check = 0;
    const items = splitTopLevel(t.slice(open + 1, close)).map((item) => {
      const body = item.trim();
      if (/^PERIOD\s+FOR\b/i.test(body)) this.fail('PERIOD FOR', 'application-time or system-time periods (PERIOD FOR) have no MySQL 8 equivalent', 'drop the period in the source before dumping');
      if (/\bWITH(OUT)?\s+SYSTEM\s+VERSIONING\b/i.test(body) || /\bAS\s+ROW\s+(START|END)\b/i.test(body)) {
        this.fail('system versioning', 'system-versioned columns have no MySQL 8 equivalent', 'ALTER TABLE ... DROP SYSTEM VERSIONING in the source before dumping (history rows are lost)');
      }
      const named = /^CONSTRAINT\s+(\0\d+\0)\s+CHECK\b/i.exec(body);
      if (named && /^`CONSTRAINT_\d+`$/.test(this.m.unmask(named[1]!))) {
        const name = `${this.table.split('.').pop()}_chk_${++check}`;
        this.note(`renamed check constraint ${this.m.unmask(named[1]!)} to \`${name}\`: MariaDB's generated names repeat in every table, MySQL needs them unique per schema`);
        return item.replace(named[1]!, `\`${name.replace(/`/g, '``')}\``);
      }
      if (/^(PRIMARY\s+KEY|UNIQUE|KEY|INDEX|FULLTEXT|SPATIAL|CONSTRAINT|CHECK|FOREIGN\s+KEY)\b/i.test(body)) {
        return item.replace(/\s+IGNORED\b/i, () => {
          this.note('rewrote index IGNORED to INVISIBLE: MySQL\'s name for an index the optimizer does not use');
          return ' INVISIBLE';
        });
      }
      return this.columnToMysql(item);
    });
    let opts = t.slice(close + 1);
    if (/\bWITH\s+SYSTEM\s+VERSIONING\b/i.test(opts)) {
      this.fail('system versioning', 'a system-versioned table (WITH SYSTEM VERSIONING) has no MySQL 8 equivalent', 'ALTER TABLE ... DROP SYSTEM VERSIONING in the source before dumping (history rows are lost)');
    }
    const engine = /\bENGINE\s*=?\s*(\w+)/i.exec(opts)?.[1];
    if (engine && /^(aria|sequence|s3|connect|columnstore|spider|rocksdb|oqgraph|sphinx|mroonga)$/i.test(engine)) {
      this.fail(`ENGINE=${engine}`, `storage engine ${engine} does not exist in MySQL 8`, `in the source, ALTER TABLE ${this.table} ENGINE=InnoDB before dumping (or edit ENGINE= in the dump if InnoDB semantics are acceptable)`);
    }
    opts = opts.replace(/\s*\b(PAGE_CHECKSUM|TRANSACTIONAL)\s*=?\s*\d+/gi, (m) => {
      this.note(`removed ${m.trim()}: an Aria table option that ${engine ?? 'the engine'} ignores and MySQL does not parse`);
      return '';
    });
    return `${t.slice(0, open + 1)}${items.join(',')})${opts}`;
  }

  columnToMysql(item: string): string {
    const col = /^(\s*(?:\0\d+\0|[\w$]+)\s+)([a-z0-9_]+)/i.exec(item);
    if (!col) return item;
    const type = col[2]!.toLowerCase();
    const name = this.m.unmask(col[1]!.trim());
    if (MARIADB_ONLY_TYPES.includes(type)) {
      this.fail(`${type} column type`, `column ${name} has MariaDB's ${type.toUpperCase()} type, which MySQL 8 does not have`, type === 'uuid' ? 'in the source, ALTER it to CHAR(36) (or BINARY(16) with UUID_TO_BIN on load) before dumping' : 'in the source, ALTER it to VARCHAR(39) (or VARBINARY(16) with INET6_ATON on load) before dumping');
    }
    let r = item;
    // DEFAULT <literal|expression>, up to the next column attribute.
    r = r.replace(/(\bDEFAULT\s+)((?:\0\d+\0|-?[\d.]+(?:e-?\d+)?|[a-z_][a-z0-9_]*\s*\((?:[^()]|\([^()]*\))*\)))/i, (m, kw: string, val: string) => {
      const isFunc = /^[a-z_]/i.test(val);
      if (isFunc) {
        if (/^(current_timestamp|now|localtime|localtimestamp)\s*\(\s*\d*\s*\)$/i.test(val)) return m;
        this.note(`wrapped DEFAULT ${this.m.unmask(val)} of column ${name} in parentheses: MySQL 8.0.13+ takes expression defaults only in that form`);
        return `${kw}(${val})`;
      }
      if (BLOB_TYPES.test(type)) {
        this.note(`wrapped DEFAULT ${this.m.unmask(val)} of ${type.toUpperCase()} column ${name} in parentheses: MySQL 8.0.13+ allows a BLOB/TEXT/JSON default only as an expression (same value)`);
        return `${kw}(${val})`;
      }
      return m;
    });
    return r;
  }

  collationsToMysql(t: string): string {
    t = t.replace(/\butf8mb4_nopad_bin\b/gi, (m) => {
      this.note(`collation ${m} → utf8mb4_0900_bin: exact (both compare code points and are NO PAD)`);
      return 'utf8mb4_0900_bin';
    });
    return t.replace(/\b(utf8mb4|utf8mb3|utf8)_uca1400_(?:([a-z0-9]+)_)??(nopad_)?(ai_ci|ai_cs|as_ci|as_cs)\b/gi, (m, cs: string, lang: string | undefined, nopad: string | undefined, kind: string) => {
      const k = kind.toLowerCase();
      if (cs.toLowerCase() !== 'utf8mb4') this.fail(m, `collation ${m}: MySQL 8 has UCA 9.0 collations only for utf8mb4`, 'convert the column to utf8mb4 in the source before dumping');
      if (k === 'ai_cs') this.fail(m, `collation ${m} (accent-insensitive, case-sensitive) has no MySQL 8 equivalent`, 'change the collation in the source (e.g. to utf8mb4_uca1400_as_cs) before dumping');
      let tailoring = '';
      if (lang) {
        const l = MARIADB_LANG_TO_MYSQL[lang.toLowerCase()];
        if (!l) this.fail(m, `collation ${m} has no MySQL 8 equivalent`, 'change the collation in the source before dumping');
        tailoring = `${l}_`;
      }
      const to = `utf8mb4_${tailoring}0900_${k}`;
      this.note(
        `collation ${m} → ${to}: near-exact, not identical: UCA 14.0.0 vs 9.0.0 weights differ for characters added after Unicode 9 and a few others` +
          (nopad ? '' : `; and ${m} is PAD SPACE while ${to} is NO PAD, so trailing spaces become significant in comparisons`),
      );
      return to;
    });
  }
}

/**
 * Rewrites one statement written by the other flavor for `target`. Statements of other kinds pass
 * through unchanged (with no rewrites), so the importer may call it for every DDL or SET statement.
 * Throws {@link FlavorError} for a construct `target` cannot express.
 */
export function rewriteForFlavor(sql: string, target: Flavor, hint: FlavorHint = {}): FlavorRewrite {
  if (hint.source === target) return { sql, rewrites: [] };
  const r = new Rewriter(sql, target, hint);
  const out = r.run();
  if (r.rewrites.length === 0) return { sql, rewrites: [] };
  return { sql: r.m.unmask(out), rewrites: r.rewrites };
}
