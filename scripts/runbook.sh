#!/usr/bin/env bash
# The operator's runbook: production dump -> drydock (migrate on a throwaway server) -> staged
# reimport -> verified atomic swap -> (rollback) -> cleanup. docs/RUNBOOK.md explains each step.
#
#   scripts/runbook.sh [--yes] [all|dump|migrate|stage|swap|rollback|cleanup]
#
#   all       (default) dump, migrate, stage, then ask before the swap
#   rollback  put the old tables back (the backup database) after a swap
#   cleanup   drop the backup and staging databases; after this there is no rollback
#   --yes     answer yes to every question (CI rehearsal against a rehearsal server only)
#
# The password comes from MYSQL_PWD (asked for when unset on a terminal) and only ever reaches
# programs through the environment or a 0600 option file that is removed on exit, never argv.
set -euo pipefail

# ---- Settings: override any of them in the environment -------------------------------------
# Production primary (the reimport writes here; replicas follow through the binlog).
PROD_URL="${PROD_URL:-mysql://patchwork@db-primary.example.org:3306/patchwork}"
# Where the dump is read from: a replica spares the primary the long read.
DUMP_URL="${DUMP_URL:-$PROD_URL}"
# Target version of the pack (empty: the latest the pack knows).
TO_VERSION="${TO_VERSION:-}"
WORK_DIR="${WORK_DIR:-./drydock-runbook}"
DUMP_FILE="${DUMP_FILE:-$WORK_DIR/production.sql.gz}"
OUT_DIR="${OUT_DIR:-$WORK_DIR/out}"
# Loading connections on production during the staged load.
THREADS="${THREADS:-4}"
# Extra flags for `npm run pipeline` (e.g. "--drop-project lkml --null-state New").
PIPELINE_FLAGS="${PIPELINE_FLAGS:-}"
# How drydock is started (from a checkout of drydock).
read -r -a DRYDOCK <<<"${DRYDOCK_CMD:-npm run --silent drydock --}"
# ---------------------------------------------------------------------------------------------

YES=0
COMMAND=all
for arg in "$@"; do
  case "$arg" in
    --yes) YES=1 ;;
    all | dump | migrate | stage | swap | rollback | cleanup) COMMAND="$arg" ;;
    -h | --help)
      sed -n '2,14p' "$0"
      exit 0
      ;;
    *)
      echo "runbook: unknown argument '$arg' (see --help)" >&2
      exit 2
      ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
say() { printf '    %s\n' "$*"; }
undo() { printf '    undo: %s\n' "$*"; }

confirm() {
  if [[ "$YES" == 1 ]]; then
    say "(--yes) $1: yes"
    return 0
  fi
  local answer
  read -r -p "    $1 [type yes] " answer
  [[ "$answer" == yes ]] || {
    say 'stopped; nothing else was done'
    exit 1
  }
}

# mysql://user@host:port/db or mysql://user@localhost/db?socket=/path -> URL_* variables.
parse_url() {
  local url="$1" rest hostport
  rest="${url#mysql://}"
  rest="${rest#mariadb://}"
  if [[ "$rest" == "$url" ]]; then
    echo "runbook: '$url' must start with mysql://" >&2
    exit 2
  fi
  URL_USER=root
  if [[ "$rest" == *@* ]]; then
    URL_USER="${rest%%@*}"
    rest="${rest#*@}"
  fi
  if [[ "$URL_USER" == *:* ]]; then
    echo 'runbook: a URL holds a password; remove it and set MYSQL_PWD instead (argv is visible in ps)' >&2
    exit 2
  fi
  hostport="${rest%%/*}"
  rest="${rest#*/}"
  URL_DB="${rest%%\?*}"
  URL_SOCKET=''
  if [[ "$rest" == *\?socket=* ]]; then URL_SOCKET="${rest#*\?socket=}"; fi
  URL_HOST="${hostport%%:*}"
  URL_PORT=3306
  if [[ "$hostport" == *:* ]]; then URL_PORT="${hostport##*:}"; fi
}

# A client option file for mysqldump: the password stays out of argv.
CNF_DIR=''
cleanup_cnf() { if [[ -n "$CNF_DIR" ]]; then rm -rf "$CNF_DIR"; fi; }
trap cleanup_cnf EXIT
client_option_file() {
  parse_url "$1"
  CNF_DIR="$(mktemp -d)"
  chmod 700 "$CNF_DIR"
  local f="$CNF_DIR/client.cnf"
  (
    umask 077
    {
      printf '[client]\nuser=%s\n' "$URL_USER"
      if [[ -n "$URL_SOCKET" ]]; then printf 'socket=%s\n' "$URL_SOCKET"; else printf 'host=%s\nport=%s\n' "$URL_HOST" "$URL_PORT"; fi
      if [[ -n "${MYSQL_PWD:-}" ]]; then
        # Option files unescape \\ and \" inside double quotes.
        local pwd="${MYSQL_PWD//\\/\\\\}"
        printf 'password="%s"\n' "${pwd//\"/\\\"}"
      fi
    } >"$f"
  )
  CNF="$f"
}

ask_password() {
  if [[ -z "${MYSQL_PWD:-}" && -t 0 && "$YES" != 1 ]]; then
    read -r -s -p "    password for $(parse_url "$PROD_URL" && echo "$URL_USER") (empty for none): " MYSQL_PWD
    echo
  fi
  export MYSQL_PWD="${MYSQL_PWD:-}"
}

dump_program() {
  if command -v mariadb-dump >/dev/null; then echo mariadb-dump; elif command -v mysqldump >/dev/null; then echo mysqldump; else
    echo 'runbook: mysqldump is not installed (apt-get install -y mariadb-client)' >&2
    exit 2
  fi
}

step_dump() {
  step "1. Dump production ($DUMP_URL) to $DUMP_FILE"
  say 'one consistent snapshot (--single-transaction): no table locks on InnoDB, rows streamed (--quick)'
  say 'from here until the swap the application must not write: changes made after the dump are not in it'
  undo "nothing was changed on the server; rm $DUMP_FILE"
  mkdir -p "$WORK_DIR"
  client_option_file "$DUMP_URL"
  local program
  program="$(dump_program)"
  "$program" --defaults-extra-file="$CNF" --single-transaction --quick --hex-blob --routines --triggers --events \
    --max-allowed-packet=1G "$URL_DB" | gzip -1 >"$DUMP_FILE.partial"
  mv "$DUMP_FILE.partial" "$DUMP_FILE"
  say "done: $(du -h "$DUMP_FILE" | cut -f1)"
}

step_migrate() {
  step "2. Migrate a copy on a throwaway server: $DUMP_FILE -> $OUT_DIR"
  say 'import, migrate in small batches, verify, export; nothing touches production; a re-run resumes'
  undo "nothing was changed on production; rm -r $OUT_DIR (and the run directory drydock prints)"
  local to=()
  if [[ -n "$TO_VERSION" ]]; then to=(--to "$TO_VERSION"); fi
  local extra=()
  if [[ -n "$PIPELINE_FLAGS" ]]; then read -r -a extra <<<"$PIPELINE_FLAGS"; fi
  npm run --silent pipeline -- --dump "$DUMP_FILE" --out "$OUT_DIR" ${to[@]+"${to[@]}"} ${extra[@]+"${extra[@]}"}

  step "3. What the export holds ($OUT_DIR/manifest.json)"
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`    exported ${m.createdAt} from ${m.server.flavor} ${m.server.version}, ${m.tables.length} tables, ${m.tables.reduce((s, t) => s + t.rows, 0)} rows`);
    for (const t of m.tables) console.log(`    ${t.name.padEnd(48)} ${String(t.rows).padStart(12)} rows`);
    for (const f of m.files) console.log(`    file ${f.name} ${f.bytes} bytes sha256 ${f.sha256}`);
    if (m.run) console.log("    run " + JSON.stringify(m.run));
  ' "$OUT_DIR/manifest.json"
}

step_stage() {
  step "4. Load the export into the staging database on production and verify it"
  say "staging is <db>_drydock_new next to the live database; live tables are not touched"
  say 'short statements only (safe behind haproxy); written to the binlog, so replicas receive the rows too'
  undo "${DRYDOCK[*]} cleanup --engine-url $PROD_URL   (drops the staging database)"
  "${DRYDOCK[@]}" reimport --from "$OUT_DIR" --engine-url "$PROD_URL" --threads "$THREADS" --no-swap
}

step_swap() {
  step "5. Swap: one atomic RENAME TABLE moves every live table to <db>_drydock_old and the staged ones in"
  say 'takes a second; waits at most 10 s for running transactions, then gives up and changes nothing'
  undo "scripts/runbook.sh rollback   (= ${DRYDOCK[*]} rollback --engine-url $PROD_URL)"
  confirm "swap the live tables of $PROD_URL now?"
  "${DRYDOCK[@]}" reimport --from "$OUT_DIR" --engine-url "$PROD_URL" --threads "$THREADS"
  say 'now: take the application out of maintenance and check it; keep the backup until you are sure'
  say "if it misbehaves: scripts/runbook.sh rollback; when you are sure: scripts/runbook.sh cleanup"
}

step_rollback() {
  step "Rollback: one atomic RENAME puts the old tables (<db>_drydock_old) back and the new ones aside (<db>_drydock_new)"
  say 'writes made since the swap are in the tables moved aside, not in the restored ones'
  undo "scripts/runbook.sh swap   (swaps the same result in again without loading it)"
  confirm "restore the old tables of $PROD_URL?"
  "${DRYDOCK[@]}" rollback --engine-url "$PROD_URL"
}

step_cleanup() {
  step 'Cleanup: drop the backup (<db>_drydock_old) and staging (<db>_drydock_new) databases'
  say 'after this there is NO rollback except restoring the dump from step 1'
  undo "none: restore $DUMP_FILE with drydock reimport from a fresh export if you must"
  confirm "drop the backup and staging databases of $PROD_URL?"
  "${DRYDOCK[@]}" cleanup --engine-url "$PROD_URL"
}

ask_password
case "$COMMAND" in
  all)
    step_dump
    step_migrate
    step_stage
    step_swap
    ;;
  dump) step_dump ;;
  migrate) step_migrate ;;
  stage) step_stage ;;
  swap) step_swap ;;
  rollback) step_rollback ;;
  cleanup) step_cleanup ;;
esac
