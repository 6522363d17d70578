/**
 * Issue 3: drydock's splitter against the real `mysql` client. For random dumps with every
 * quoting, comment, escape and DELIMITER form (test/helpers/sql-arbitraries.ts), the statements
 * splitStatements() returns must be the statements the server receives when the client runs the
 * same file, as the server's general log shows them.
 *
 * The client runs as drydock's client importer runs it (`--binary-mode`, `--max-allowed-packet=1G`),
 * plus `--force` so a statement the server rejects (most random ones) does not stop the rest, and
 * `--default-character-set=utf8mb4` so the result does not depend on the machine's locale (the
 * importer gets the same from a UTF-8 locale). A dedicated server with the general log on runs
 * for this file, so no other test's queries appear in the log.
 *
 * What the client legitimately changes is modelled by clientStatementText() (test/helpers/
 * general-log.ts): it strips plain comments (drydock keeps them in the statement; the server ignores
 * them), drops the sandbox line's `\-`, trims trailing control bytes; the server trims whitespace
 * and trailing ';' before it logs. Equality is byte for byte after that.
 *
 * Restriction: dumps with a backslash right before a newline are left out. Inside a string the
 * MariaDB 10.11 client in --binary-mode mangles that pair (it sends `\`, a NUL byte and a newline,
 * and loses the byte after the newline, which can be the closing quote: `'q\<LF>';SELECT 2;` becomes
 * one statement). mysqldump never writes it (it escapes a newline as `\n`); the server would read
 * `\<LF>` as a newline, as the splitter does.
 *
 * Restriction: dumps with a DELIMITER line whose unquoted argument is followed directly by CRLF are
 * left out. In --binary-mode the client does not turn CRLF into LF, so `DELIMITER ;;\r\n` sets the
 * delimiter to `;;\r`: `DELIMITER ;\r\nSELECT 1;SELECT 2;\n` is one statement `SELECT 1;SELECT 2`
 * to it. The splitter drops the CR, as the client does without --binary-mode (which gives
 * `SELECT 1` and `SELECT 2`). In a dump that uses CRLF throughout both agree, because every
 * delimiter is then followed by a CR; they differ where one is not (two statements on a line, a
 * last line without CRLF). Reported with the test; the quoted form (`DELIMITER ';'\r\n`) and a
 * form with trailing words agree and stay in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { execa } from 'execa';
import { splitStatements, printable } from '../../pipeline/dump/splitter.js';
import { findProgram, localEngine } from '../../pipeline/engine/local.js';
import { withClientOptionFile } from '../../pipeline/db/client-options.js';
import { skip as noSharedServer } from '../helpers/db.js';
import { dumpArbitrary } from '../helpers/sql-arbitraries.js';
import { clientStatementText, parseGeneralLog, serverTrim } from '../helpers/general-log.js';

/** Fixed, so a run is reproducible; DRYDOCK_SPLITTER_CLIENT_RUNS / _SEED explore further. */
const NUM_RUNS = Number(process.env['DRYDOCK_SPLITTER_CLIENT_RUNS'] ?? 120);
const SEED = Number(process.env['DRYDOCK_SPLITTER_CLIENT_SEED'] ?? 20261125);

/** A DELIMITER line whose unquoted argument runs up to a CRLF: see the header. */
const CR_DELIMITER_LINE = /(?:^|\n)[ \t]*delimiter[ \t]+[^ \t'"`\r\n]+\r+\n/i;

const client = findProgram(['mariadb', 'mysql']);
const skip: string | false = noSharedServer || (client === undefined ? 'the mysql client is not installed' : false);

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const show = (x: Buffer): string => printable(x);

async function split(bytes: Buffer): Promise<Buffer[]> {
  const out: Buffer[] = [];
  async function* one(): AsyncGenerator<Buffer> {
    yield bytes;
  }
  for await (const s of splitStatements(one(), { file: 'prop.sql' })) out.push(s.sql);
  return out;
}

/**
 * A statement as drydock returns it, and as the server's general log shows it when the client
 * sends it. The integration test below checks every case against the real client too.
 */
const MODEL_CASES: [string, string][] = [
  ['SELECT 1 -- c\n, 2', 'SELECT 1 \n, 2'],
  ['SELECT /* c */ 3 /*! , 4 */', 'SELECT  3 /*! , 4 */'],
  ['SELECT 1 /* c */\n2', 'SELECT 1 \n2'],
  ['SELECT/*c*/3', 'SELECT 3'],
  ['SELECT 11/*c*/\xc3\x84', 'SELECT 11\xc3\x84'],
  ["SELECT 'a\tb\nc'", "SELECT 'a\tb\nc'"],
  ['SELECT 5 \r\n, 6', 'SELECT 5 \r\n, 6'],
  ['SELECT 7 ;', 'SELECT 7'],
  ['SELECT 8 \x01', 'SELECT 8'],
  ['SELECT 8 X\xff', 'SELECT 8 X'],
  ['SELECT 10 \xa0', 'SELECT 10 \xa0'],
  ['/*M!999999\\- enable the sandbox mode */\nSELECT 5', '/*M!999999 enable the sandbox mode */\nSELECT 5'],
  ['SELECT 12 \\- 13', 'SELECT 12  13'],
  ["SELECT '\\N' \\N", "SELECT '\\N' \\N"],
  ["SELECT '\\-' # x", "SELECT '\\-'"],
  ['SELECT 1 # c */ 2\n, 3', 'SELECT 1 \n, 3'],
  ['SELECT 1 /* a /*/ b */ 2', 'SELECT 1  2'],
  ["SELECT '/* x */', \"-- y\", `#z`", "SELECT '/* x */', \"-- y\", `#z`"],
  ['SELECT 1 /* a\nb */ 2', 'SELECT 1  2'],
  ['SELECT 2--1', 'SELECT 2--1'],
  ['SELECT 1 --\n', 'SELECT 1'],
];

describe('clientStatementText (the client and server text model)', () => {
  for (const [input, want] of MODEL_CASES) {
    test(show(b(input)), () => {
      assert.equal(show(clientStatementText(b(input))), show(b(want)));
    });
  }

  test('parseGeneralLog keeps multi-line arguments whole', () => {
    const log = b(
      'mariadbd, Version: 10.11 started with:\nTcp port: 0  Unix socket: /s\nTime\t\t    Id Command\tArgument\n' +
        '261125 16:08:41\t     3 Connect\troot@localhost on  using Socket\n' +
        "\t\t     3 Query\tSELECT 'a\tb\n\t\tc'\n\t\t    12 Query\tSELECT 2\n\t\t     3 Quit\t\n",
    );
    const got = parseGeneralLog(log).map((e) => [e.thread, e.command, e.argument.toString('latin1')]);
    assert.deepEqual(got, [
      [3, 'Connect', 'root@localhost on  using Socket'],
      [3, 'Query', "SELECT 'a\tb\n\t\tc'"],
      [12, 'Query', 'SELECT 2'],
      [3, 'Quit', ''],
    ]);
  });
});

describe('splitStatements against the mysql client (property)', () => {
  test('random dumps: drydock splits into exactly the statements the client sends', { skip, timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drydock-splitter-client-'));
    const log = join(dir, 'general.log');
    const server = await localEngine.start({
      dir: join(dir, 'server'),
      database: 'scratch',
      memoryBytes: 512 * 1024 ** 2,
      options: { general_log: 'ON', general_log_file: log, log_output: 'FILE' },
    });
    try {
      await withClientOptionFile(server.address, async (cnf) => {
        const dump = join(dir, 'dump.sql');

        /** The Query texts the client's connection sent for `bytes`, from the general log. */
        const clientQueries = async (bytes: Buffer): Promise<Buffer[]> => {
          writeFileSync(dump, bytes);
          const from = statSync(log).size;
          const r = await execa(
            client!,
            [`--defaults-extra-file=${cnf}`, '--binary-mode', '--force', '--max-allowed-packet=1G', '--default-character-set=utf8mb4', 'scratch'],
            { inputFile: dump, reject: false, stdout: 'ignore', stderr: 'pipe', timeout: 30_000 },
          );
          // --force: 1 when some statement failed, which random statements mostly do.
          if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`the mysql client failed (exit ${r.exitCode}, ${r.signal ?? 'no signal'}): ${String(r.stderr)}`);
          if (/ERROR 20\d\d/.test(String(r.stderr))) throw new Error(`the mysql client lost the server: ${String(r.stderr)}`);
          // The server logs the connection's Quit after the client has gone: wait for it.
          const deadline = Date.now() + 10_000;
          for (;;) {
            const entries = parseGeneralLog(readFileSync(log).subarray(from));
            const id = entries.find((e) => e.command === 'Connect')?.thread;
            if (id !== undefined && entries.some((e) => e.thread === id && e.command === 'Quit')) {
              return entries.filter((e) => e.thread === id && e.command === 'Query').map((e) => Buffer.from(e.argument));
            }
            if (Date.now() > deadline) throw new Error(`no Quit of the client's connection in ${log} after 10 s`);
            await sleep(20);
          }
        };

        // The model's examples hold for this client: each one as a statement of its own.
        const examples = Buffer.concat([b('DELIMITER $$\n'), ...MODEL_CASES.map(([input]) => b(`${input}\n$$\n`))]);
        const sent = (await clientQueries(examples)).map((q) => show(serverTrim(q)));
        assert.deepEqual(sent, MODEL_CASES.map(([, want]) => show(b(want))), 'the client sends the model examples differently');

        const dumps = dumpArbitrary({ nul: false, maxStatements: 6 }).filter(
          (m) => !m.bytes.includes(b('\\\n')) && !CR_DELIMITER_LINE.test(m.bytes.toString('latin1')),
        );
        await fc.assert(
          fc.asyncProperty(dumps, async (model) => {
            const ours = await split(model.bytes);
            const expected = ours.map((sql) => show(clientStatementText(sql)));
            const got = (await clientQueries(model.bytes)).map((q) => show(serverTrim(q)));
            const context =
              `dump: ${show(model.bytes)}\n` +
              `drydock: ${JSON.stringify(ours.map(show), null, 1)}\n` +
              `client sent: ${JSON.stringify(got, null, 1)}`;
            assert.equal(got.length, ours.length, `statement count differs\n${context}`);
            assert.deepEqual(got, expected, `statement text differs\n${context}`);
          }),
          { numRuns: NUM_RUNS, seed: SEED },
        );
      });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
