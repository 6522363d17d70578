/**
 * Seeded generator of Patchwork 1.0 databases with kernel.org's production shape, written as a
 * streaming mysqldump-style SQL file (the 1.0 reference DDL, extended INSERTs of at most ~1 MB,
 * `LOCK TABLES` / `DISABLE KEYS` around each table's data, FOREIGN_KEY_CHECKS=0 for the load).
 *
 * Shape for `patches = N` (defaults: 74 projects, seed 1):
 * - projects: 74 kernel.org-like lists. `lkml` ("Linux Kernel Mailing List",
 *   linux-kernel.vger.kernel.org, id 3) gets ~43% of patches; the others share the rest
 *   Zipf-like (weight 1/rank^1.1). Eight projects send notifications; two have use_tags off.
 * - persons: max(20, N/12); submitters drawn Zipf-like (a few people send most patches).
 *   ~7% have name NULL; non-ASCII names (Jörg Rödel, 张三, Дмитрий …). Every other person among the
 *   first 2·users is linked to an auth user.
 * - auth_user: max(8, N/80), ids with gaps (deleted accounts), user 1 is the superuser `admin`.
 *   Every user has a patchwork_userprofile (1.0 creates it in a post_save signal); profile ids are
 *   dense, so profile.id != user_id for most rows. ~40% have a primary project, many of them lkml.
 * - maintainers: 1-3 per project (6 for lkml), drawn from the 40 most active users, so several
 *   users maintain lkml and other projects; user 2 maintains lkml with primary project lkml and
 *   user 3 has primary project lkml while maintaining another project (the CASCADE trap).
 * - patches: N, ids with small gaps (3 every 997). ~1.5% are cross-posts: the same mail (same
 *   msgid, submitter, date, diff) also filed under lkml or a second list, which is legal because
 *   uniqueness is (msgid, project). Dates 2009-01 .. 2017-06, increasing with id plus jitter.
 *   State by kernel.org-like weights (New 30%, Accepted 25%, …), `nullStatePatches` of them NULL.
 *   archived ~50%; delegate set on ~7% (a maintainer of that project); commit_ref on ~35% of
 *   Accepted; ~1.2% pull requests (pull_url set; 60% of them with no diff, so content and hash
 *   are NULL); diff size log-normal (median ~2.2 KB, a few hundred KB at most); hash is
 *   Patchwork's own hash_patch() of the diff. ~1% of subjects carry an emoji.
 * - comments: as 1.0 stores them, the patch mail's body (commit message, tags, diffstat) is a
 *   comment with the patch's own msgid, submitter, date and headers (99.6% of patches; 0.8% of
 *   those have empty content), plus on average ~1.1 replies with their own msgids; crossposted
 *   patches carry the same comments under each copy.
 * - patchwork_patchtag: the Acked-by/Reviewed-by/Tested-by counts that 1.0's
 *   refresh_tag_counts() would store: exactly the `^Tag:` lines in the patch's comments, for
 *   projects with use_tags on.
 * - bundles: max(1, N/300), 20% public, 1-40 patches each (a run of the same project's patches).
 * - patchchangenotification: ~0.4% of the patches of notifying projects. emailconfirmation:
 *   users/6. emailoptout: persons/250.
 * - contrib: django_content_type and auth_permission (add/change/delete/view per model),
 *   django_site (1, example.com), django_migrations exactly as the 1.0 reference, states and
 *   tags from Patchwork's fixtures (default_states.xml, default_tags.xml).
 * Whatever N, the first patches include one of each edge case (a cross-post, a pull request
 * without diff, a patch without and one with an empty own comment, an emoji subject, a change
 * notification) and person 2 has no name, so even a tiny dump holds every trap.
 * Size: ~8.8 KB per patch on average, all rows included. Measured: 200,000 patches -> 1.76 GB in
 * ~33 s (~54 MB/s, one core), peak RSS < 200 MB whatever N.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { ConfigError, PipelineError, StageError } from '../../pipeline/errors.js';
import { hashString, Rng, rngFor, WeightedPicker } from './random.js';

export const SUPPORTED_VERSIONS = ['1.0'] as const;
export type SupportedVersion = (typeof SUPPORTED_VERSIONS)[number];
export const DEFAULT_SEED = 1;
export const DEFAULT_PROJECTS = 74;
/** Like mysqldump's net_buffer_length: an extended INSERT is closed once it reaches this many bytes. */
export const MAX_STATEMENT_BYTES = 1_000_000;
/** Share of all patches that lkml holds (the postmortem's 43%). */
export const LKML_SHARE = 0.43;

export interface GenerateOptions {
  /** Total patches (rows of patchwork_patch), cross-posts included. */
  patches: number;
  /** Patchwork schema version of the output; only 1.0 so far. */
  version: '1.0';
  /** Default 1. The same seed and options give the same bytes. */
  seed?: number;
  /** Default 74. */
  projects?: number;
  /** Default 0: how many patches get state_id NULL (1.0 allows it; migration 0010 does not). */
  nullStatePatches?: number;
}

export interface GenerateSummary {
  /** Rows written per table, every table of the schema listed (0 for empty ones). */
  rows: Record<string, number>;
  /** Bytes written (UTF-8). */
  bytes: number;
}

// ---------------------------------------------------------------------------------------------
// SQL text

const ESCAPE_RE = /[\0\n\r\x1a'"\\]/g;
const ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  "'": "\\'",
  '"': '\\"',
  '\\': '\\\\',
};
const escapeChar = (c: string): string => ESCAPES[c] as string;

/** A MySQL string literal escaped the way mysqldump does (mysql_real_escape_string). */
export function sqlString(s: string): string {
  return "'" + s.replace(ESCAPE_RE, escapeChar) + "'";
}

function q(s: string | null): string {
  return s === null ? 'NULL' : sqlString(s);
}

function n(v: number | null): string {
  return v === null ? 'NULL' : String(v);
}

function b(v: boolean): string {
  return v ? '1' : '0';
}

function pad2(v: number): string {
  return v < 10 ? '0' + v : String(v);
}

/** DATETIME(6) text as mysqldump prints it; times are UTC (the dump sets TIME_ZONE='+00:00'). */
function sqlDate(ms: number): string {
  const d = new Date(ms);
  return (
    "'" +
    d.getUTCFullYear() +
    '-' +
    pad2(d.getUTCMonth() + 1) +
    '-' +
    pad2(d.getUTCDate()) +
    ' ' +
    pad2(d.getUTCHours()) +
    ':' +
    pad2(d.getUTCMinutes()) +
    ':' +
    pad2(d.getUTCSeconds()) +
    ".000000'"
  );
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function rfc2822(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad2(
    d.getUTCHours(),
  )}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

function stamp(ms: number): string {
  const d = new Date(ms);
  return (
    d.getUTCFullYear() +
    pad2(d.getUTCMonth() + 1) +
    pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) +
    pad2(d.getUTCMinutes()) +
    pad2(d.getUTCSeconds())
  );
}

/** RFC 2047 encoded word, as Python's email.header.Header().encode() writes non-ASCII headers. */
function encodeWord(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : `=?utf-8?b?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

// ---------------------------------------------------------------------------------------------
// Patchwork's hash_patch (patchwork/parser.py at v1.0.0), reimplemented so `hash` is what 1.0
// itself would have stored for the diff.

const HUNK_RE = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;
const FILENAME_RE = /^(---|\+\+\+) (\S+)/;

export function hashPatch(content: string): string {
  const text = content.replace(/\r/g, '').trim() + '\n';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const c = line.charCodeAt(0);
    if (c === 45 /* - */ || c === 43 /* + */) {
      const f = FILENAME_RE.exec(line);
      if (f) {
        const name = (f[1] === '---' ? 'a/' : 'b/') + (f[2] as string).split('/').slice(1).join('/');
        out.push(`${f[1]} ${name}`);
        continue;
      }
    } else if (c === 64 /* @ */) {
      const h = HUNK_RE.exec(line);
      if (h) {
        out.push(`@@ -${h[1] ?? 1} +${h[2] ?? 1} @@`);
        continue;
      }
    }
    if (c === 45 || c === 43 || c === 32) out.push(line);
  }
  return createHash('sha1')
    .update(out.join('\n') + (out.length ? '\n' : ''), 'utf8')
    .digest('hex');
}

// ---------------------------------------------------------------------------------------------
// The 1.0 schema, read from the pack so the DDL is byte-for-byte the reference.

interface DumpSchema {
  header: string;
  footer: string;
  tables: Array<{ name: string; ddl: string }>;
}

let cachedSchema: DumpSchema | undefined;
let cachedMigrations: string[] | undefined;

function loadSchema(): DumpSchema {
  if (cachedSchema) return cachedSchema;
  const text = readFileSync(new URL('./schema/patchwork-1.0.sql', import.meta.url), 'utf8');
  const blockRe =
    /DROP TABLE IF EXISTS `([^`]+)`;\n[\s\S]*?\/\*!40101 SET character_set_client = @saved_cs_client \*\/;\n/g;
  const tables: DumpSchema['tables'] = [];
  let first = -1;
  let last = 0;
  for (const m of text.matchAll(blockRe)) {
    if (first < 0) first = m.index;
    tables.push({ name: m[1] as string, ddl: m[0] });
    last = m.index + m[0].length;
  }
  if (first < 0) throw new Error('schema/patchwork-1.0.sql holds no CREATE TABLE block');
  cachedSchema = { header: text.slice(0, first), footer: text.slice(last), tables };
  return cachedSchema;
}

/** The VALUES tuples of the 1.0 django_migrations reference, in order, verbatim. */
function loadMigrationRows(): string[] {
  if (cachedMigrations) return cachedMigrations;
  const text = readFileSync(new URL('./schema/patchwork-1.0-django_migrations.sql', import.meta.url), 'utf8');
  cachedMigrations = [...text.matchAll(/^INSERT INTO `django_migrations` VALUES (\(.*\));$/gm)].map(
    (m) => m[1] as string,
  );
  return cachedMigrations;
}

// ---------------------------------------------------------------------------------------------
// Writing, with bounded statements and backpressure.

class DumpWriter {
  bytes = 0;
  writes = 0;
  private parts: string[] = [];
  private partsBytes = 0;
  private table = '';
  private rowsInStatement = 0;
  private tableRows = 0;
  readonly rows: Record<string, number> = {};

  /** Set when `out` emits 'error' while we are not waiting on it; checked before each write. */
  private failure: unknown;
  private readonly onError = (err: unknown): void => {
    this.failure ??= err;
  };

  constructor(private readonly out: NodeJS.WritableStream) {
    // Without a listener an 'error' would crash the process, and a destroyed stream never drains.
    out.on('error', this.onError);
  }

  close(): void {
    this.out.removeListener('error', this.onError);
  }

  /** Queues text; flushes to the stream in pieces of ~1 MB. */
  async text(s: string): Promise<void> {
    this.parts.push(s);
    this.partsBytes += s.length;
    if (this.partsBytes >= MAX_STATEMENT_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.partsBytes = 0;
    if (this.failure !== undefined) throw this.failure;
    const buf = Buffer.from(chunk, 'utf8');
    this.bytes += buf.length;
    this.writes++;
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }

  async beginTable(name: string, ddl: string): Promise<void> {
    this.table = name;
    this.tableRows = 0;
    this.rowsInStatement = 0;
    await this.text(`${ddl}LOCK TABLES \`${name}\` WRITE;\n/*!40000 ALTER TABLE \`${name}\` DISABLE KEYS */;\n`);
  }

  /** One row, `(...)` text. A statement is closed before it would pass MAX_STATEMENT_BYTES. */
  async row(tuple: string): Promise<void> {
    // Measuring UTF-16 length, not bytes, keeps this cheap; non-ASCII text is a small share, and
    // even all-CJK would stay far below MariaDB's 16 MB max_allowed_packet.
    if (this.rowsInStatement > 0 && this.statementBytes + tuple.length + 2 > MAX_STATEMENT_BYTES) {
      await this.text(';\n');
      this.rowsInStatement = 0;
    }
    if (this.rowsInStatement === 0) {
      this.statementBytes = 0;
      await this.text(`INSERT INTO \`${this.table}\` VALUES `);
    } else {
      this.parts.push(',');
      this.partsBytes++;
    }
    this.statementBytes += tuple.length + 1;
    this.rowsInStatement++;
    this.tableRows++;
    await this.text(tuple);
  }
  private statementBytes = 0;

  async endTable(): Promise<void> {
    if (this.rowsInStatement > 0) await this.text(';\n');
    this.rowsInStatement = 0;
    await this.text(`/*!40000 ALTER TABLE \`${this.table}\` ENABLE KEYS */;\nUNLOCK TABLES;\n`);
    this.rows[this.table] = this.tableRows;
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

type NamePart = readonly [display: string, slug: string];

const FIRST: readonly NamePart[] = [
  ['Jörg', 'joerg'], ['Greg', 'greg'], ['Linus', 'linus'], ['Andrew', 'andrew'], ['David', 'davem'],
  ['Thomas', 'tglx'], ['Ingo', 'ingo'], ['Peter', 'peterz'], ['Jens', 'axboe'], ['Takashi', 'tiwai'],
  ['Mark', 'broonie'], ['Arnd', 'arnd'], ['Wolfram', 'wsa'], ['Uwe', 'ukleinek'], ['Krzysztof', 'krzk'],
  ['Łukasz', 'lukasz'], ['François', 'francois'], ['José', 'jose'], ['Zoë', 'zoe'], ['Sébastien', 'sebastien'],
  ['Christoph', 'hch'], ['Dan', 'dan'], ['Johannes', 'johannes'], ['Heiko', 'heiko'], ['Maxime', 'maxime'],
  ['Geert', 'geert'], ['Kalle', 'kvalo'], ['Bjørn', 'bjorn'], ['Ville', 'ville'], ['Rafael', 'rjw'],
  ['Mauro', 'mchehab'], ['Hans', 'hdegoede'], ['Niklas', 'niklas'], ['Sakari', 'sakari'], ['Miquèl', 'miquel'],
];
const LAST: readonly NamePart[] = [
  ['Rödel', 'roedel'], ['Kroah-Hartman', 'gregkh'], ['Torvalds', 'torvalds'], ['Morton', 'akpm'],
  ['Miller', 'miller'], ['Gleixner', 'gleixner'], ['Molnar', 'molnar'], ['Zijlstra', 'zijlstra'],
  ['Axboe', 'axboe'], ['Iwai', 'iwai'], ['Brown', 'brown'], ['Bergmann', 'bergmann'], ['Sang', 'sang'],
  ['Kleine-König', 'kleine-koenig'], ['Kozłowski', 'kozlowski'], ['Wysocki', 'wysocki'], ['Hellwig', 'hellwig'],
  ['Carpenter', 'carpenter'], ['Berg', 'berg'], ['Stübner', 'stuebner'], ['Ripard', 'ripard'],
  ['Uytterhoeven', 'uytterhoeven'], ['Söderlund', 'soderlund'], ['Syrjälä', 'syrjala'], ['Chehab', 'chehab'],
  ['de Goede', 'degoede'], ['Ailus', 'ailus'], ['Raynal', 'raynal'], ["O'Brien", 'obrien'], ['Nuñez', 'nunez'],
];
/** Whole names that do not split into first/last the western way. */
const FULL: readonly NamePart[] = [
  ['张三', 'zhang.san'], ['李四', 'li.si'], ['王小明', 'wang.xiaoming'], ['陈伟', 'chen.wei'],
  ['山田太郎', 'yamada.taro'], ['김민수', 'kim.minsu'], ['Дмитрий Иванов', 'dmitry.ivanov'],
  ['Алексей Смирнов', 'alexey.smirnov'], ['Γιώργος Παπαδόπουλος', 'giorgos.papadopoulos'],
  ['Rafael J. Wysocki', 'rafael.wysocki'], ['Ævar Arnfjörð Bjarmason', 'avar'],
];
const DOMAINS = [
  'kernel.org', 'redhat.com', 'suse.de', 'suse.com', 'intel.com', 'linaro.org', 'gmail.com', 'google.com',
  'arm.com', 'nvidia.com', 'ti.com', 'linux.ibm.com', 'oracle.com', 'huawei.com', 'amd.com', 'collabora.com',
  'bootlin.com', 'pengutronix.de', '163.com', 'qq.com', 'samsung.com', 'renesas.com', 'mellanox.com', 'fb.com',
];

/** kernel.org-like list names; index 2 is lkml's slot. */
const LISTS = [
  'linux-arm-kernel', 'netdev', 'linux-kernel', 'linux-pci', 'linux-wireless', 'linux-usb', 'linux-media',
  'dri-devel', 'linux-input', 'linux-fsdevel', 'linux-mm', 'linux-btrfs', 'linux-ext4', 'linux-nfs',
  'linux-scsi', 'linux-ide', 'linux-acpi', 'linux-pm', 'linux-omap', 'linux-samsung-soc', 'linux-renesas-soc',
  'linux-rockchip', 'linux-mips', 'linux-riscv', 'linux-crypto', 'linux-security-module', 'linux-integrity',
  'keyrings', 'selinux', 'linux-kselftest', 'kvm', 'kvm-ppc', 'linux-xfs', 'linux-block', 'linux-rdma',
  'linux-nvdimm', 'linux-watchdog', 'linux-hwmon', 'linux-iio', 'linux-gpio', 'linux-spi', 'linux-i2c',
  'linux-clk', 'linux-arm-msm', 'linux-mmc', 'linux-sh', 'linux-parisc', 'linux-alpha', 'linux-m68k',
  'linux-ia64', 'sparclinux', 'linux-s390', 'linux-kbuild', 'linux-doc', 'linux-sparse', 'linux-trace-devel',
  'alsa-devel', 'linux-fbdev', 'linux-leds', 'linux-pwm', 'linux-rtc', 'linux-serial', 'linux-bluetooth',
  'linux-wpan', 'linux-can', 'linux-hyperv', 'linux-efi', 'linux-edac', 'linux-ntb', 'fstests', 'linux-cifs',
  'ocfs2-devel', 'linux-f2fs', 'linux-raid',
];
const LKML_SLOT = 2;

const SUBSYSTEMS = [
  'net', 'net: stmmac', 'drm/i915', 'drm/amdgpu', 'mm', 'arm64: dts: qcom', 'ARM: dts: imx6', 'usb: dwc3',
  'ext4', 'btrfs', 'x86/mm', 'iio: adc', 'ASoC: codecs', 'PCI', 'scsi: ufs', 'media: uvcvideo', 'mmc: sdhci',
  'gpio', 'spi: imx', 'i2c: designware', 'clk: qcom', 'pinctrl', 'thermal', 'cpufreq', 'nvme', 'block',
  'xfs', 'nfsd', 'kvm: x86', 'perf tools', 'bpf', 'selftests/bpf', 'tracing', 'sched/fair', 'locking',
  'crypto: caam', 'iommu/vt-d', 'dmaengine', 'power: supply', 'regulator', 'mfd', 'hwmon', 'staging: rtl8192e',
];
const VERBS = ['fix', 'add', 'remove', 'convert', 'use', 'drop', 'clean up', 'introduce', 'support', 'avoid', 'rework', 'simplify'];
const OBJECTS = [
  'NULL pointer dereference in probe', 'memory leak on error path', 'unused variable warning',
  'race between suspend and resume', 'devm_ helpers', 'missing of_node_put()', 'support for the new SoC',
  'a use-after-free in release()', 'redundant NULL check', 'DT bindings', 'error handling in init',
  'an off-by-one in the ring buffer', 'spinlock in the IRQ handler', 'deprecated API', 'sparse warnings',
  'the "reset" quirk', 'runtime PM support', 'double free on unbind', 'integer overflow in ioctl',
];
const EMOJI = ['🐧', '🚀', '🐛', '🔥', '✨'];
const SENTENCES = [
  'The driver dereferences the pointer before checking it, which crashes on boards without the optional clock.',
  'Commit 1d2c3b4a5e6f ("core: rework locking") moved the allocation, so the error path now leaks the buffer.',
  'Use the managed helpers instead, which also lets us drop the remove() callback.',
  'This was found by the kernel test robot and by Coverity.',
  'No functional change intended.',
  'Tested on a Jetson TX2 and on QEMU virt.',
  "It's not obvious why this was ever needed; git blame points at a 2009 commit that doesn't say.",
  'The datasheet says the register is write-only, so reading it back returns garbage.',
  'Without this, the "foo" property is silently ignored and the device probes with defaults.',
  'This patch converts the remaining users and removes the old interface.',
  'Keep the behaviour for existing device trees; new ones should use the compatible string.',
  'We hold the lock across the callback, so sleeping in it is not allowed.',
  'Größere Puffer helfen hier nicht — the limit is in hardware.',
  'Reported by 张三 on the mailing list; the backtrace is below.',
  'Paths with a backslash (C:\\Windows\\fonts) were mangled by the parser.',
];
const REPLY_TEXT = [
  'Looks good to me.',
  'Applied, thanks!',
  'This breaks the build on arm with allmodconfig, please fix and resend.',
  'Could you split this into two patches? The cleanup is unrelated to the fix.',
  'Why is the lock needed here at all? The callers already serialise.',
  'Nit: please keep the includes sorted.',
  'I have tested this on my board and it fixes the hang.',
  "Isn't this the same as the v2 you sent last week?",
  'Danke, Jörg — applied to the fixes branch.',
  'Please Cc: stable@vger.kernel.org, this fixes a real crash.',
];
const TOPICS = ['fixes', 'next', 'for-linus', 'drivers', 'soc', 'dt', 'cleanup', 'late'];
const DIRS = [
  'drivers/net/ethernet/stmicro/stmmac', 'drivers/gpu/drm/i915', 'mm', 'arch/arm64/boot/dts/qcom', 'fs/ext4',
  'fs/btrfs', 'arch/x86/mm', 'drivers/iio/adc', 'sound/soc/codecs', 'drivers/pci/controller', 'drivers/usb/dwc3',
  'drivers/media/usb/uvc', 'kernel/sched', 'include/linux', 'Documentation/devicetree/bindings/net',
  'tools/testing/selftests/bpf', 'drivers/staging/rtl8192e', 'net/ipv4', 'block', 'fs/xfs/libxfs',
];
const FILES = ['core.c', 'main.c', 'dev.c', 'probe.c', 'ctrl.c', 'regs.h', 'Kconfig', 'Makefile', 'platform.c', 'irq.c', 'dma.c', 'pm.c'];
const FUNCS = ['foo_probe', 'bar_remove', 'dwc3_gadget_start', 'ext4_map_blocks', 'stmmac_open', 'uvc_video_init', 'xfs_bmapi_write', 'sched_tick'];

/** A fixed pool of C-ish lines (with quotes, backslashes and tabs) that diffs are built from. */
const CODE_LINES: readonly string[] = (() => {
  const r = new Rng(0xc0de);
  const ids = ['dev', 'priv', 'ret', 'buf', 'len', 'skb', 'ctx', 'np', 'regs', 'flags', 'val', 'hw'];
  const fns = ['kzalloc', 'devm_clk_get', 'readl', 'writel', 'of_property_read_u32', 'dma_map_single', 'mutex_lock'];
  const t: Array<() => string> = [
    () => `\tret = ${r.pick(fns)}(${r.pick(ids)}, ${r.int(0, 4096)});`,
    () => `\tif (!${r.pick(ids)})`,
    () => '\t\treturn -ENOMEM;',
    () => `\t\tdev_err(&pdev->dev, "failed to get ${r.pick(ids)}: %d\\n", ret);`,
    () => `\tpr_debug("%s: ${r.pick(ids)} = %d\\n", __func__, ${r.pick(ids)});`,
    () => `\tstruct ${r.pick(['device', 'sk_buff', 'clk', 'inode'])} *${r.pick(ids)} = ${r.pick(fns)}(${r.pick(ids)});`,
    () => `\t${r.pick(ids)}->${r.pick(ids)} = ${r.int(0, 255)};`,
    () => '}',
    () => '',
    () => `\tspin_lock_irqsave(&${r.pick(ids)}->lock, flags);`,
    () => `\tspin_unlock_irqrestore(&${r.pick(ids)}->lock, flags);`,
    () => `static int ${r.pick(FUNCS)}(struct platform_device *pdev)`,
    () => '{',
    () => '\tint ret;',
    () => `\tgoto err_${r.pick(ids)};`,
    () => `err_${r.pick(ids)}:`,
    () => `\tkfree(${r.pick(ids)});`,
    () => `#define ${r.pick(['REG_CTRL', 'IRQ_MASK', 'DMA_EN', 'FIFO_LVL'])}\t\t0x${r.hex(4)}`,
    () => `\t/* ${r.pick(SENTENCES).slice(0, 60)} */`,
    () => `\tif (${r.pick(ids)}[${r.pick(ids)}] == '\\0')`,
    () => `\tmemcpy(${r.pick(ids)}, ${r.pick(ids)}, sizeof(*${r.pick(ids)}));`,
    () => '\treturn 0;',
    () => `\t${r.pick(ids)}[len] = '\\0';`,
    () => `\tseq_printf(m, "%s\\t%u\\n", "${r.pick(ids)}", ${r.pick(ids)});`,
  ];
  const lines: string[] = [];
  for (let i = 0; i < 512; i++) lines.push(r.pick(t)());
  return lines;
})();

// ---------------------------------------------------------------------------------------------
// The model: every row is a pure function of (seed, index), so passes can recompute freely.

const STATES: ReadonlyArray<readonly [name: string, actionRequired: boolean, weight: number]> = [
  ['New', true, 30], ['Under Review', true, 3], ['Accepted', false, 25], ['Rejected', false, 8],
  ['RFC', false, 3], ['Not Applicable', false, 8], ['Changes Requested', false, 10],
  ['Awaiting Upstream', false, 2], ['Superseded', false, 9], ['Deferred', false, 2],
];
const STATE_ACCEPTED = 3;
const TAGS: ReadonlyArray<readonly [name: string, pattern: string, abbrev: string]> = [
  ['Acked-by', '^Acked-by:', 'A'],
  ['Reviewed-by', '^Reviewed-by:', 'R'],
  ['Tested-by', '^Tested-by:', 'T'],
];

/** Contrib and Patchwork models as Django 3.2 registers them: [app, model, verbose name]. */
const CONTENT_TYPES: ReadonlyArray<readonly [string, string, string]> = [
  ['admin', 'logentry', 'log entry'],
  ['auth', 'permission', 'permission'],
  ['auth', 'group', 'group'],
  ['auth', 'user', 'user'],
  ['contenttypes', 'contenttype', 'content type'],
  ['sessions', 'session', 'session'],
  ['sites', 'site', 'site'],
  ['patchwork', 'person', 'person'],
  ['patchwork', 'project', 'project'],
  ['patchwork', 'userprofile', 'user profile'],
  ['patchwork', 'state', 'state'],
  ['patchwork', 'tag', 'tag'],
  ['patchwork', 'patchtag', 'patch tag'],
  ['patchwork', 'patch', 'patch'],
  ['patchwork', 'comment', 'comment'],
  ['patchwork', 'bundle', 'bundle'],
  ['patchwork', 'bundlepatch', 'bundle patch'],
  ['patchwork', 'emailconfirmation', 'email confirmation'],
  ['patchwork', 'emailoptout', 'email optout'],
  ['patchwork', 'patchchangenotification', 'patch change notification'],
];

const S = {
  person: hashString('person'),
  user: hashString('user'),
  maint: hashString('maintainer'),
  project: hashString('project'),
  xpost: hashString('crosspost'),
  content: hashString('content'),
  track: hashString('track'),
  diffPlan: hashString('diff-plan'),
  diffText: hashString('diff-text'),
  body: hashString('body'),
  reply: hashString('reply'),
  bundle: hashString('bundle'),
  pcn: hashString('patchchangenotification'),
  confirm: hashString('emailconfirmation'),
} as const;

/**
 * Rows that carry each edge case whatever N and the seed, so even the small example holds every
 * trap: patch index -> what it is (person index for the nameless person).
 */
const SPECIMEN = {
  crosspost: 1,
  pullWithoutDiff: 3,
  noComment: 4,
  emptyComment: 5,
  emoji: 6,
  notified: 7,
  namelessPerson: 1,
} as const;

const T_START = Date.UTC(2009, 0, 1);
const T_END = Date.UTC(2017, 5, 1);
const DAY = 86_400_000;

interface Project {
  id: number;
  linkname: string;
  name: string;
  listid: string;
  listemail: string;
  webUrl: string;
  scmUrl: string;
  webscmUrl: string;
  sendNotifications: boolean;
  useTags: boolean;
  weight: number;
}

interface Person {
  id: number;
  email: string;
  /** Display name as in From:, null when the mail had none. */
  name: string | null;
  first: string;
  last: string;
  slug: string;
  userIndex: number | null;
}

type ReplyKind = 'ack' | 'review' | 'test' | 'talk';

/** What a mail carries; shared by the copies of a cross-posted patch. */
interface Content {
  index: number;
  msgid: string;
  subject: string;
  name: string;
  date: number;
  submitter: number;
  pullUrl: string | null;
  hasDiff: boolean;
  comment: 'normal' | 'empty' | 'none';
  bodyTags: [number, number, number];
  replies: ReplyKind[];
}

interface Patch {
  index: number;
  id: number;
  project: Project;
  content: Content;
  stateId: number | null;
  archived: boolean;
  delegateId: number | null;
  commitRef: string | null;
}

interface HunkPlan {
  oldStart: number;
  pre: number;
  dels: number;
  adds: number;
  post: number;
}
interface FilePlan {
  path: string;
  newFile: boolean;
  hunks: HunkPlan[];
  adds: number;
  dels: number;
}

function validate(opts: GenerateOptions): Required<GenerateOptions> {
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(opts.version)) {
    throw new ConfigError(`cannot generate Patchwork version ${JSON.stringify(opts.version)}`, {
      hint: `supported versions: ${SUPPORTED_VERSIONS.join(', ')} (pass --version ${SUPPORTED_VERSIONS[0]})`,
    });
  }
  const int = (name: string, v: number, min: number, max: number): number => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${v}`, {
        hint: `pass --${name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} within ${min}..${max}`,
      });
    }
    return v;
  };
  const patches = int('patches', opts.patches, 1, 100_000_000);
  return {
    patches,
    version: opts.version,
    seed: int('seed', opts.seed ?? DEFAULT_SEED, 0, 0xffffffff),
    projects: int('projects', opts.projects ?? DEFAULT_PROJECTS, 1, 100_000),
    nullStatePatches: int('nullStatePatches', opts.nullStatePatches ?? 0, 0, patches),
  };
}

class Model {
  readonly seed: number;
  readonly n: number;
  readonly nullStates: number;
  readonly projects: Project[];
  readonly lkml: Project;
  readonly personCount: number;
  readonly userCount: number;
  readonly bundleCount: number;
  readonly confirmCount: number;
  readonly optoutCount: number;
  /** user indexes per project index */
  readonly maintainers: number[][];
  readonly primaryProject: Array<number | null>;
  /** A project that sends notifications, if any. */
  readonly notifying: Project | undefined;
  private readonly projectPicker: WeightedPicker<number>;
  private readonly statePicker: WeightedPicker<number>;

  constructor(o: Required<GenerateOptions>) {
    this.seed = o.seed;
    this.n = o.patches;
    this.nullStates = o.nullStatePatches;
    this.personCount = Math.max(20, Math.round(o.patches / 12));
    this.userCount = Math.max(8, Math.round(o.patches / 80));
    this.bundleCount = Math.max(1, Math.round(o.patches / 300));
    this.confirmCount = Math.max(1, Math.round(this.userCount / 6));
    this.optoutCount = Math.max(1, Math.round(this.personCount / 250));

    const slot = Math.min(LKML_SLOT, o.projects - 1);
    const others: number[] = [];
    for (let i = 0; i < o.projects; i++) if (i !== slot) others.push(i);
    let zipfSum = 0;
    others.forEach((_, r) => (zipfSum += 1 / Math.pow(r + 1, 1.1)));
    const restShare = o.projects === 1 ? 0 : 1 - LKML_SHARE;
    this.projects = [];
    for (let i = 0; i < o.projects; i++) {
      const isLkml = i === slot;
      const list = isLkml ? 'linux-kernel' : (LISTS[i] ?? `project-${i + 1}`);
      const linkname = isLkml ? 'lkml' : list;
      const rank = others.indexOf(i);
      this.projects.push({
        id: i + 1,
        linkname,
        name: isLkml ? 'Linux Kernel Mailing List' : list.split('-').map((w) => w[0]?.toUpperCase() + w.slice(1)).join(' '),
        listid: `${list}.vger.kernel.org`,
        listemail: `${list}@vger.kernel.org`,
        webUrl: i % 3 === 0 ? '' : `http://vger.kernel.org/vger-lists.html#${list}`,
        scmUrl: i % 4 === 1 ? `git://git.kernel.org/pub/scm/linux/kernel/git/${linkname}/linux.git` : '',
        webscmUrl: i % 4 === 1 ? `https://git.kernel.org/cgit/linux/kernel/git/${linkname}/linux.git/` : '',
        sendNotifications: !isLkml && i % 9 === 4,
        useTags: !(i === 7 || i === 40),
        weight: isLkml ? (o.projects === 1 ? 1 : LKML_SHARE) : (restShare / Math.pow(rank + 1, 1.1)) / zipfSum,
      });
    }
    this.lkml = this.projects[slot] as Project;
    this.notifying = this.projects.find((p) => p.sendNotifications);
    this.projectPicker = new WeightedPicker(this.projects.map((p, i) => [i, p.weight] as const));
    this.statePicker = new WeightedPicker(STATES.map((s, i) => [i + 1, s[2]] as const));

    // Maintainers come from a small pool of active users, so overlaps (lkml + others) are common.
    const pool = Math.min(this.userCount - 1, 40);
    this.maintainers = this.projects.map((p, i) => {
      const r = rngFor(this.seed, S.maint, i);
      const want = p === this.lkml ? 6 : r.int(1, 3);
      const set = new Set<number>();
      for (let k = 0; k < want * 3 && set.size < want; k++) set.add(1 + r.int(0, pool - 1));
      return [...set].sort((a, b) => a - b);
    });
    // The CASCADE trap, made certain: user index 1 maintains lkml and another project with
    // primary project lkml; user index 2 maintains another project with primary project lkml.
    const other = this.projects.length > 1 ? (slot === 0 ? 1 : 0) : slot;
    const add = (pi: number, u: number): void => {
      const m = this.maintainers[pi] as number[];
      if (!m.includes(u)) m.push(u), m.sort((a, b) => a - b);
    };
    add(slot, 1);
    add(other, 1);
    add(other, 2);
    const maintained = new Map<number, number[]>();
    this.maintainers.forEach((us, pi) => us.forEach((u) => maintained.set(u, [...(maintained.get(u) ?? []), pi])));
    this.primaryProject = [];
    for (let k = 0; k < this.userCount; k++) {
      const r = rngFor(this.seed, S.user, k);
      const mine = maintained.get(k);
      let pp: number | null = null;
      if (k === 1 || k === 2) pp = slot;
      else if (mine && r.chance(0.7)) pp = r.pick(mine);
      else if (r.chance(0.35)) pp = this.projectPicker.pick(r);
      this.primaryProject.push(pp === null ? null : pp + 1);
    }
  }

  userId(k: number): number {
    // Gaps, as left by deleted accounts: ids are not row numbers.
    return k + 1 + 2 * Math.floor(k / 10);
  }

  patchId(i: number): number {
    return i + 1 + 3 * Math.floor(i / 997);
  }

  person(p: number): Person {
    const r = rngFor(this.seed, S.person, p);
    let first: string;
    let last: string;
    let slug: string;
    if (r.chance(0.12)) {
      const f = r.pick(FULL);
      first = f[0];
      last = '';
      slug = f[1];
    } else {
      const f = r.pick(FIRST);
      const l = r.pick(LAST);
      first = f[0];
      last = l[0];
      slug = `${f[1]}.${l[1]}`;
    }
    const userIndex = p % 2 === 0 && p / 2 < this.userCount ? p / 2 : null;
    const display = last ? `${first} ${last}` : first;
    const name = userIndex === null && (r.chance(0.07) || p === SPECIMEN.namelessPerson) ? null : display;
    return {
      id: p + 1,
      email: `${slug}.${p.toString(36)}@${r.pick(DOMAINS)}`,
      name,
      first,
      last,
      slug,
      userIndex,
    };
  }

  private projectIndexOf(i: number): number {
    return this.projectPicker.pick(rngFor(this.seed, S.project, i));
  }

  /** Odd-indexed patches may be a copy of the even one before them, filed under another list. */
  private crosspostSource(i: number): number | null {
    if (i % 2 === 0 || this.projects.length < 2) return null;
    if (i === SPECIMEN.crosspost) return i - 1;
    return rngFor(this.seed, S.xpost, i).chance(0.03) ? i - 1 : null;
  }

  projectOf(i: number): Project {
    if (i === SPECIMEN.notified && this.notifying) return this.notifying;
    const src = this.crosspostSource(i);
    if (src === null) return this.projects[this.projectIndexOf(i)] as Project;
    const srcProject = this.projects[this.projectIndexOf(src)] as Project;
    if (srcProject !== this.lkml) return this.lkml;
    return this.projects[this.lkml.id === 1 ? 1 : 0] as Project;
  }

  content(ci: number): Content {
    const r = rngFor(this.seed, S.content, ci);
    const date =
      T_START + Math.floor(((T_END - T_START) * ci) / this.n) + Math.round(r.normal() * DAY);
    const when = Math.floor(Math.max(T_START, date) / 1000) * 1000;
    const submitter = r.zipfRank(this.personCount);
    const who = this.person(submitter);
    const pull = r.chance(0.012) || ci === SPECIMEN.pullWithoutDiff;
    let subject: string;
    let name: string;
    if (pull) {
      const topic = r.pick(TOPICS);
      const ver = `4.${r.int(0, 12)}`;
      subject = `[GIT PULL] ${r.pick(SUBSYSTEMS)} ${topic} for v${ver}`;
      name = `[GIT,PULL] ${subject.slice('[GIT PULL] '.length)}`;
    } else {
      const prefixes: string[] = [];
      if (r.chance(0.06)) prefixes.push('RFC');
      if (r.chance(0.1)) prefixes.push(r.pick(['net-next', 'net', 'next', 'stable']));
      if (r.chance(0.3)) prefixes.push(`v${r.int(2, 9)}`);
      if (r.chance(0.55)) {
        const total = r.int(2, 24);
        prefixes.push(`${r.int(1, total)}/${total}`);
      }
      let title = `${r.pick(SUBSYSTEMS)}: ${r.pick(VERBS)} ${r.pick(OBJECTS)}`;
      if (r.chance(0.01) || ci === SPECIMEN.emoji) title += ` ${r.pick(EMOJI)}`;
      const hdr = ['PATCH', ...prefixes];
      if (prefixes[0] === 'RFC') hdr.splice(0, 2, 'RFC', 'PATCH');
      subject = `[${hdr.join(' ')}] ${title}`;
      name = prefixes.length ? `[${prefixes.join(',')}] ${title}` : title;
    }
    const c = r.next();
    const comment =
      ci === SPECIMEN.noComment || c < 0.004 ? 'none' : ci === SPECIMEN.emptyComment || c < 0.012 ? 'empty' : 'normal';
    const bodyTags: [number, number, number] = [
      r.chance(0.08) ? r.int(1, 2) : 0,
      r.chance(0.15) ? r.int(1, 3) : 0,
      r.chance(0.04) ? 1 : 0,
    ];
    if (comment !== 'normal') bodyTags.fill(0);
    const replies: ReplyKind[] = [];
    const nr = Math.min(r.geometric(1.1), 40);
    for (let k = 0; k < nr; k++) {
      const x = r.next();
      replies.push(x < 0.2 ? 'ack' : x < 0.4 ? 'review' : x < 0.48 ? 'test' : 'talk');
    }
    return {
      index: ci,
      msgid: `<${stamp(when)}.${ci}-${r.int(1, 99999)}-${who.slug}@${who.email.split('@')[1]}>`,
      subject,
      name: name.slice(0, 255),
      date: when,
      submitter,
      pullUrl: pull
        ? `git://git.kernel.org/pub/scm/linux/kernel/git/${who.slug}/linux.git tags/${r.pick(TOPICS)}-${r.int(1, 9999)}`
        : null,
      hasDiff: !pull || (ci !== SPECIMEN.pullWithoutDiff && r.chance(0.4)),
      comment,
      bodyTags,
      replies,
    };
  }

  /** Patch i gets state NULL exactly when the spread of nullStates over n steps lands on it. */
  private isNullState(i: number): boolean {
    if (this.nullStates === 0) return false;
    return Math.floor(((i + 1) * this.nullStates) / this.n) > Math.floor((i * this.nullStates) / this.n);
  }

  patch(i: number): Patch {
    const src = this.crosspostSource(i);
    const project = this.projectOf(i);
    const content = this.content(src ?? i);
    const r = rngFor(this.seed, S.track, i);
    let picked = this.statePicker.pick(r);
    // A change notification only exists for a patch whose state moved away from New.
    if (i === SPECIMEN.notified && picked === 1) picked = 2;
    const stateId = this.isNullState(i) ? null : picked;
    const archived = picked === 1 ? r.chance(0.15) : r.chance(0.65);
    let delegateId: number | null = null;
    const maint = this.maintainers[project.id - 1] as number[];
    if (r.chance(0.07) && maint.length) delegateId = this.userId(r.pick(maint));
    else if (r.chance(0.005)) delegateId = this.userId(r.int(0, this.userCount - 1));
    const commitRef = (picked === STATE_ACCEPTED && r.chance(0.35)) || r.chance(0.005) ? r.hex(40) : null;
    return { index: i, id: this.patchId(i), project, content, stateId, archived, delegateId, commitRef };
  }

  tagCounts(p: Patch): [number, number, number] {
    const t: [number, number, number] = [...p.content.bodyTags];
    for (const k of p.content.replies) {
      if (k === 'ack') t[0]++;
      else if (k === 'review') t[1]++;
      else if (k === 'test') t[2]++;
    }
    return t;
  }

  diffPlan(ci: number): FilePlan[] {
    const r = rngFor(this.seed, S.diffPlan, ci);
    const target = r.chance(0.002) ? r.int(100_000, 400_000) : r.longTail(2200, 1.1, 250, 400_000);
    let lines = Math.max(4, Math.round(target / 34));
    const fileCount = Math.min(1 + r.geometric(0.7), 30, Math.max(1, Math.floor(lines / 6)));
    const files: FilePlan[] = [];
    for (let f = 0; f < fileCount; f++) {
      const budget = f === fileCount - 1 ? lines : Math.max(4, Math.floor(lines / (fileCount - f)));
      lines -= budget;
      const newFile = r.chance(0.04);
      const path = `${r.pick(DIRS)}/${newFile ? `new-${r.int(1, 999)}-` : ''}${r.pick(FILES)}`;
      const hunks: HunkPlan[] = [];
      let adds = 0;
      let dels = 0;
      if (newFile) {
        hunks.push({ oldStart: 0, pre: 0, dels: 0, adds: budget, post: 0 });
        adds = budget;
      } else {
        let left = budget;
        let at = r.int(1, 200);
        while (left > 0) {
          const size = Math.min(left, r.int(4, 60));
          left -= size;
          const pre = Math.min(3, size >> 2);
          const post = Math.min(3, (size - pre) >> 2);
          const changed = size - pre - post;
          const d = Math.floor(changed * r.next() * 0.6);
          const a = changed - d;
          hunks.push({ oldStart: at, pre, dels: d, adds: a, post });
          adds += a;
          dels += d;
          at += pre + d + post + r.int(5, 300);
        }
      }
      files.push({ path, newFile, hunks, adds, dels });
    }
    return files;
  }

  diffText(ci: number, plan: FilePlan[]): string {
    const r = rngFor(this.seed, S.diffText, ci);
    const out: string[] = [];
    const line = (prefix: string): void => {
      out.push(prefix + (CODE_LINES[(r.next() * CODE_LINES.length) | 0] as string));
    };
    for (const f of plan) {
      out.push(`diff --git a/${f.path} b/${f.path}`);
      if (f.newFile) {
        out.push('new file mode 100644', `index 0000000..${r.hex(7)}`, '--- /dev/null', `+++ b/${f.path}`);
      } else {
        out.push(`index ${r.hex(7)}..${r.hex(7)} 100644`, `--- a/${f.path}`, `+++ b/${f.path}`);
      }
      let shift = 0;
      for (const h of f.hunks) {
        const oldLen = h.pre + h.dels + h.post;
        const newLen = h.pre + h.adds + h.post;
        const ctx = f.newFile ? '' : ` ${r.pick(FUNCS)}(struct platform_device *pdev)`;
        out.push(`@@ -${h.oldStart}${oldLen === 1 ? '' : ',' + oldLen} +${h.oldStart === 0 ? 1 : h.oldStart + shift},${newLen} @@${ctx}`);
        shift += h.adds - h.dels;
        for (let k = 0; k < h.pre; k++) line(' ');
        for (let k = 0; k < h.dels; k++) line('-');
        for (let k = 0; k < h.adds; k++) line('+');
        for (let k = 0; k < h.post; k++) line(' ');
      }
    }
    out.push('');
    return out.join('\n');
  }

  mailHeaders(c: Content, project: Project, from: Person, msgid: string, subject: string, inReplyTo: string | null, date: number): string {
    const fromHdr = from.name === null ? from.email : `${encodeWord(from.name)} <${from.email}>`;
    const list = project.listemail;
    const h = [
      `Return-Path: <${list.replace('@', '-owner@')}>`,
      `Received: from vger.kernel.org (vger.kernel.org [209.132.180.67])\n\tby mail.kernel.org (Postfix) with ESMTP id ${(c.index * 7919 + date / 1000).toString(16).slice(-10).toUpperCase()}\n\tfor <patchwork@kernel.org>; ${rfc2822(date + 4000)}`,
      `Received: (majordomo@vger.kernel.org) by vger.kernel.org via listexpand\n\tid S${(c.index % 9_999_991) + 1000}; ${rfc2822(date + 2000)}`,
      `From: ${fromHdr}`,
      `To: ${list}`,
      `Subject: ${encodeWord(subject)}`,
      `Date: ${rfc2822(date)}`,
      `Message-Id: ${msgid}`,
    ];
    if (inReplyTo) h.push(`In-Reply-To: ${inReplyTo}`, `References: ${inReplyTo}`);
    h.push(
      'X-Mailer: git-send-email 2.7.4',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
      `Sender: ${list.replace('@', '-owner@')}`,
      'Precedence: bulk',
      `List-ID: <${project.listid}>`,
      `X-Mailing-List: ${list}`,
    );
    return h.join('\n') + '\n';
  }

  private signer(p: Person): string {
    return p.name === null ? p.email : `${p.name} <${p.email}>`;
  }

  /** The patch mail's text as 1.0's parser keeps it in the comment: everything but the diff. */
  body(c: Content, plan: FilePlan[] | null): string {
    if (c.comment === 'empty') return '';
    const r = rngFor(this.seed, S.body, c.index);
    const who = this.person(c.submitter);
    const out: string[] = [];
    if (c.pullUrl !== null) {
      out.push(
        'Hi Linus,',
        '',
        `The following changes since commit ${r.hex(40)}:`,
        '',
        `  Linux 4.${r.int(0, 12)}-rc${r.int(1, 7)} (${rfc2822(c.date - 7 * DAY)})`,
        '',
        'are available in the git repository at:',
        '',
        `  ${c.pullUrl}`,
        '',
        `for you to fetch changes up to ${r.hex(40)}:`,
        '',
      );
    }
    const paras = r.int(1, 3);
    for (let k = 0; k < paras; k++) {
      const s = r.int(1, 3);
      for (let j = 0; j < s; j++) out.push(r.pick(SENTENCES));
      out.push('');
    }
    if (r.chance(0.15)) out.push(`Fixes: ${r.hex(12)} ("${r.pick(SUBSYSTEMS)}: ${r.pick(VERBS)} ${r.pick(OBJECTS)}")`);
    if (r.chance(0.1)) out.push(`Reported-by: ${this.signer(this.person(r.zipfRank(this.personCount)))}`);
    out.push(`Signed-off-by: ${this.signer(who)}`);
    const [a, rv, t] = c.bodyTags;
    for (let k = 0; k < rv; k++) out.push(`Reviewed-by: ${this.signer(this.person(r.zipfRank(this.personCount)))}`);
    for (let k = 0; k < a; k++) out.push(`Acked-by: ${this.signer(this.person(r.zipfRank(this.personCount)))}`);
    for (let k = 0; k < t; k++) out.push(`Tested-by: ${this.signer(this.person(r.zipfRank(this.personCount)))}`);
    if (plan) {
      out.push('---');
      let adds = 0;
      let dels = 0;
      for (const f of plan) {
        const changes = f.adds + f.dels;
        const bar = '+'.repeat(Math.min(f.adds, 40)) + '-'.repeat(Math.min(f.dels, 40));
        out.push(` ${f.path} | ${changes} ${bar}`);
        adds += f.adds;
        dels += f.dels;
      }
      out.push(
        ` ${plan.length} file${plan.length === 1 ? '' : 's'} changed, ${adds} insertion${adds === 1 ? '' : 's'}(+), ${dels} deletion${dels === 1 ? '' : 's'}(-)`,
      );
    }
    return out.join('\n');
  }

  reply(c: Content, j: number, kind: ReplyKind, quoted: string): { msgid: string; date: number; submitter: number; content: string } {
    const r = rngFor(this.seed, S.reply, c.index * 64 + j);
    const submitter = r.zipfRank(this.personCount);
    const who = this.person(submitter);
    const date = c.date + (j + 1) * r.int(600, 3 * DAY / 1000) * 1000;
    const lines: string[] = [`On ${rfc2822(c.date)}, ${this.signer(this.person(c.submitter))} wrote:`];
    for (const l of quoted.split('\n', 4)) lines.push(l ? `> ${l}` : '>');
    lines.push('', r.pick(REPLY_TEXT), '');
    if (kind === 'ack') lines.push(`Acked-by: ${this.signer(who)}`);
    else if (kind === 'review') lines.push(`Reviewed-by: ${this.signer(who)}`);
    else if (kind === 'test') lines.push(`Tested-by: ${this.signer(who)}`);
    return {
      msgid: `<${r.hex(16)}.${c.index}.${j}@${who.email.split('@')[1]}>`,
      date,
      submitter,
      content: lines.join('\n').trim(),
    };
  }

  /** Bundle j: a run of one project's patches starting at a random place. */
  bundle(j: number): { id: number; name: string; public: boolean; owner: number; project: Project; patches: number[] } {
    const r = rngFor(this.seed, S.bundle, j);
    const owner = this.userId(r.zipfRank(this.userCount));
    const start = r.int(0, this.n - 1);
    const project = this.projectOf(start);
    const want = r.longTail(5, 0.8, 1, 40);
    const patches: number[] = [];
    for (let i = start; i < this.n && i < start + 2000 && patches.length < want; i++) {
      if (this.projectOf(i) === project) patches.push(i);
    }
    return {
      id: j + 1,
      name: `${r.pick(['review', 'todo', 'to-apply', 'next', 'fixes', 'stable', 'series'])}-${j + 1}`,
      public: r.chance(0.2),
      owner,
      project,
      patches,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Table writers, in the schema file's (alphabetical) order.

type TableFn = (m: Model, w: DumpWriter) => Promise<void>;

const TABLES: Record<string, TableFn> = {
  auth_group: async () => {},
  auth_group_permissions: async () => {},
  auth_permission: async (_m, w) => {
    let id = 0;
    for (let ct = 0; ct < CONTENT_TYPES.length; ct++) {
      const [, model, verbose] = CONTENT_TYPES[ct] as readonly [string, string, string];
      for (const action of ['add', 'change', 'delete', 'view']) {
        await w.row(`(${++id},${q(`Can ${action} ${verbose}`)},${ct + 1},${q(`${action}_${model}`)})`);
      }
    }
  },
  auth_user: async (m, w) => {
    for (let k = 0; k < m.userCount; k++) {
      const r = rngFor(m.seed, S.user, k + 0x40000000);
      const p = m.person(2 * k);
      const joined = T_START + Math.floor(((T_END - T_START) * k) / m.userCount);
      const password = `pbkdf2_sha256$20000$${r.hex(12)}$${Buffer.from(r.hex(64), 'hex').toString('base64')}`;
      const lastLogin = r.chance(0.3) ? null : joined + r.int(0, 2000) * DAY;
      await w.row(
        `(${m.userId(k)},${q(password)},${lastLogin === null ? 'NULL' : sqlDate(Math.min(lastLogin, T_END))},${b(k === 0)},${q(
          k === 0 ? 'admin' : `${p.slug}${k}`,
        )},${q(p.first)},${q(p.last)},${q(p.email)},${b(k < 3)},${b(k === 0 || !r.chance(0.03))},${sqlDate(joined)})`,
      );
    }
  },
  auth_user_groups: async () => {},
  auth_user_user_permissions: async () => {},
  django_admin_log: async () => {},
  django_content_type: async (_m, w) => {
    for (let i = 0; i < CONTENT_TYPES.length; i++) {
      const [app, model] = CONTENT_TYPES[i] as readonly [string, string, string];
      await w.row(`(${i + 1},${q(app)},${q(model)})`);
    }
  },
  django_migrations: async (_m, w) => {
    for (const row of loadMigrationRows()) await w.row(row);
  },
  django_session: async () => {},
  django_site: async (_m, w) => {
    await w.row(`(1,'example.com','example.com')`);
  },
  patchwork_bundle: async (m, w) => {
    for (let j = 0; j < m.bundleCount; j++) {
      const x = m.bundle(j);
      await w.row(`(${x.id},${q(x.name)},${b(x.public)},${x.owner},${x.project.id})`);
    }
  },
  patchwork_bundlepatch: async (m, w) => {
    let id = 0;
    for (let j = 0; j < m.bundleCount; j++) {
      const x = m.bundle(j);
      for (let k = 0; k < x.patches.length; k++) {
        await w.row(`(${++id},${k + 1},${x.id},${m.patchId(x.patches[k] as number)})`);
      }
    }
  },
  patchwork_comment: async (m, w) => {
    let id = 0;
    for (let i = 0; i < m.n; i++) {
      const p = m.patch(i);
      const c = p.content;
      const plan = c.hasDiff ? m.diffPlan(c.index) : null;
      const body = m.body(c, plan);
      const author = m.person(c.submitter);
      if (c.comment !== 'none') {
        const headers = m.mailHeaders(c, p.project, author, c.msgid, c.subject, null, c.date);
        await w.row(`(${++id},${q(c.msgid)},${sqlDate(c.date)},${q(headers)},${q(body)},${p.id},${c.submitter + 1})`);
      }
      for (let j = 0; j < c.replies.length; j++) {
        const rep = m.reply(c, j, c.replies[j] as ReplyKind, body);
        const from = m.person(rep.submitter);
        const headers = m.mailHeaders(c, p.project, from, rep.msgid, `Re: ${c.subject}`, c.msgid, rep.date);
        await w.row(`(${++id},${q(rep.msgid)},${sqlDate(rep.date)},${q(headers)},${q(rep.content)},${p.id},${rep.submitter + 1})`);
      }
    }
  },
  patchwork_emailconfirmation: async (m, w) => {
    const types = ['registration', 'userperson', 'optout'];
    for (let e = 0; e < m.confirmCount; e++) {
      const r = rngFor(m.seed, S.confirm, e);
      const type = r.pick(types);
      const user = type === 'optout' ? null : m.userId(r.int(0, m.userCount - 1));
      const email = type === 'userperson' ? m.person(r.int(0, m.personCount - 1)).email : `newcomer${e + 1}@example.org`;
      const date = T_END - r.int(0, 400) * DAY;
      await w.row(`(${e + 1},${q(type)},${q(email)},${q(r.hex(40))},${sqlDate(date)},${b(r.chance(0.3))},${n(user)})`);
    }
  },
  patchwork_emailoptout: async (m, w) => {
    // mysqldump writes rows in primary-key order; the key here is the email.
    const emails: string[] = [];
    for (let o = 0; o < m.optoutCount; o++) emails.push(m.person(Math.floor((o * m.personCount) / m.optoutCount) + 1).email);
    emails.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    for (const e of emails) await w.row(`(${q(e)})`);
  },
  patchwork_patch: async (m, w) => {
    for (let i = 0; i < m.n; i++) {
      const p = m.patch(i);
      const c = p.content;
      const author = m.person(c.submitter);
      const headers = m.mailHeaders(c, p.project, author, c.msgid, c.subject, null, c.date);
      const diff = c.hasDiff ? m.diffText(c.index, m.diffPlan(c.index)) : null;
      await w.row(
        `(${p.id},${q(c.msgid)},${q(c.name)},${sqlDate(c.date)},${b(p.archived)},${q(headers)},${q(diff)},${q(c.pullUrl)},${q(
          p.commitRef,
        )},${diff === null ? 'NULL' : `'${hashPatch(diff)}'`},${n(p.delegateId)},${p.project.id},${n(p.stateId)},${c.submitter + 1})`,
      );
    }
  },
  patchwork_patchchangenotification: async (m, w) => {
    for (let i = 0; i < m.n; i++) {
      if (!rngFor(m.seed, S.pcn, i).chance(0.05) && i !== SPECIMEN.notified) continue;
      const p = m.patch(i);
      if (!p.project.sendNotifications || p.stateId === null || p.stateId === 1) continue;
      await w.row(`(${p.id},${sqlDate(p.content.date + 2 * DAY)},1)`);
    }
  },
  patchwork_patchtag: async (m, w) => {
    let id = 0;
    for (let i = 0; i < m.n; i++) {
      const p = m.patch(i);
      if (!p.project.useTags) continue;
      const t = m.tagCounts(p);
      for (let k = 0; k < 3; k++) if ((t[k] as number) > 0) await w.row(`(${++id},${t[k]},${p.id},${k + 1})`);
    }
  },
  patchwork_person: async (m, w) => {
    for (let p = 0; p < m.personCount; p++) {
      const x = m.person(p);
      await w.row(`(${x.id},${q(x.email)},${q(x.name)},${n(x.userIndex === null ? null : m.userId(x.userIndex))})`);
    }
  },
  patchwork_project: async (m, w) => {
    for (const p of m.projects) {
      await w.row(
        `(${p.id},${q(p.linkname)},${q(p.name)},${q(p.listid)},${q(p.listemail)},${q(p.webUrl)},${q(p.scmUrl)},${q(
          p.webscmUrl,
        )},${b(p.sendNotifications)},${b(p.useTags)})`,
      );
    }
  },
  patchwork_state: async (_m, w) => {
    for (let i = 0; i < STATES.length; i++) {
      const [name, action] = STATES[i] as (typeof STATES)[number];
      await w.row(`(${i + 1},${q(name)},${i},${b(action)})`);
    }
  },
  patchwork_tag: async (_m, w) => {
    for (let i = 0; i < TAGS.length; i++) {
      const [name, pattern, abbrev] = TAGS[i] as (typeof TAGS)[number];
      await w.row(`(${i + 1},${q(name)},${q(pattern)},${q(abbrev)})`);
    }
  },
  patchwork_userprofile: async (m, w) => {
    for (let k = 0; k < m.userCount; k++) {
      const r = rngFor(m.seed, S.user, k + 0x20000000);
      const perPage = r.chance(0.85) ? 100 : r.pick([25, 50, 250, 500]);
      await w.row(`(${k + 1},${b(r.chance(0.3))},${perPage},${n(m.primaryProject[k] ?? null)},${m.userId(k)})`);
    }
  },
  patchwork_userprofile_maintainer_projects: async (m, w) => {
    const links: Array<[number, number]> = [];
    m.maintainers.forEach((users, pi) => users.forEach((u) => links.push([u + 1, pi + 1])));
    links.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let id = 0;
    for (const [profile, project] of links) await w.row(`(${++id},${profile},${project})`);
  },
};

/**
 * Writes a Patchwork database dump to `out`, table by table, never holding more than one
 * statement (~1 MB) of it. Waits for 'drain' when `out` asks to; does not end `out`.
 */
export async function generatePatchwork(opts: GenerateOptions, out: NodeJS.WritableStream): Promise<GenerateSummary> {
  const o = validate(opts);
  const schema = loadSchema();
  const missing = schema.tables.filter((t) => !(t.name in TABLES)).map((t) => t.name);
  if (missing.length) throw new Error(`generator has no rows for tables of schema/patchwork-1.0.sql: ${missing.join(', ')}`);
  const model = new Model(o);
  const w = new DumpWriter(out);
  try {
    await w.text(schema.header);
    for (const t of schema.tables) {
      await w.beginTable(t.name, t.ddl);
      await (TABLES[t.name] as TableFn)(model, w);
      await w.endTable();
    }
    await w.text(schema.footer);
    await w.flush();
  } finally {
    w.close();
  }
  return { rows: w.rows, bytes: w.bytes };
}

/** generatePatchwork into a file (created or truncated); resolves once the file is fully written. */
export async function generatePatchworkToFile(opts: GenerateOptions, path: string): Promise<GenerateSummary> {
  validate(opts);
  const file = createWriteStream(path);
  try {
    const summary = await generatePatchwork(opts, file);
    file.end();
    await finished(file);
    return summary;
  } catch (err) {
    file.destroy();
    if (err instanceof PipelineError) throw err;
    throw new StageError('generate', `cannot write the generated dump to ${path}: ${(err as Error).message}`, {
      hint: 'check that the --out directory exists, is writable and has room',
      cause: err,
    });
  }
}
