import { Cron } from "./cron";

/**
 * The text of everything a backup run executes, rendered here and placed by the components: the
 * POSIX sh script of one run, rclone's config, and on Docker the scheduler loop that runs it.
 * Pure: no Pulumi, the same input gives the same bytes. The scripts run in the rclone image
 * (`images.rclone`: alpine's busybox sh, wget, tar, gzip) and hold no secret: the S3 keys live
 * only in the rclone config file, which the caller marks secret.
 */

/** The rclone remote every script writes to; `renderRcloneConfig` defines it. */
export const BACKUP_REMOTE = "backup";
/** Where `rclone serve http` publishes the metrics textfile (Docker); a scrape job targets it. */
export const BACKUP_METRICS_PORT = 9107;
/** The textfile's name: served at `/metrics`, the path Prometheus scrapes by default. */
export const BACKUP_METRICS_FILE_NAME = "metrics";

/** What one run backs up and where each part is reached from the job's container. */
export interface BackupScriptInput {
  /** Prometheus, when its TSDB is backed up. */
  prometheus?: {
    /** Prometheus' base URL inside the stack network (`http://prometheus:9090`); it must run with `--web.enable-admin-api`. */
    url: string;
    /** Where Prometheus' data volume is mounted in the job, read-write (`/prometheus`): the snapshot lands in `<dataDir>/snapshots/`. */
    dataDir: string;
  };
  /** Grafana, when its SQLite database is backed up. */
  grafana?: {
    /** Path of `grafana.db` in the job (`/grafana/grafana.db`): Grafana's volume mounted read-only. */
    dbPath: string;
  };
  /** Alertmanager, when its silences are backed up. */
  alertmanager?: {
    /** Alertmanager's base URL inside the stack network (`http://alertmanager:9093`). */
    url: string;
  };
  /** The rclone destination the kinds go under: `remotePath(destination)` (`backup:/backups`, `backup:bucket/prefix`). */
  remote: string;
  /** Backups kept per kind; older ones are deleted after a successful upload. */
  keep: number;
  /** The Prometheus textfile written at the end of every run (`/metrics/metrics`), replaced atomically. */
  metricsFile: string;
  /** rclone's config file (`/etc/rclone/rclone.conf`). */
  rcloneConfig: string;
  /** Seconds each HTTP call may take. Default 300: a snapshot of a large TSDB hard-links every block first. */
  httpTimeoutSeconds?: number;
}

/** The destination as the config gives it (`backups.destination`). */
export interface BackupDestination {
  type: "volume" | "s3";
  bucket?: string;
  endpoint?: string;
  region?: string;
  prefix?: string;
}

/** The S3 keys: Pulumi secrets, unwrapped only inside the `apply` that renders the secret rclone config. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The rclone path the backups go under: a folder of the retained volume mounted at `volumeMount`,
 * or the bucket (and prefix).
 */
export function remotePath(dest: BackupDestination, volumeMount = "/backups"): string {
  const prefix = dest.prefix ? `/${dest.prefix}` : "";
  if (dest.type === "volume") return `${BACKUP_REMOTE}:${volumeMount}${prefix}`;
  if (!dest.bucket) throw new Error("backups.destination.bucket is required when backups.destination.type is s3");
  return `${BACKUP_REMOTE}:${dest.bucket}${prefix}`;
}

/** Quotes a string for POSIX sh: single quotes, each `'` written as `'\''`. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * rclone.conf defining the remote `backup`: the local file system (a mounted volume) or S3
 * (AWS when no endpoint is given, any S3-compatible store otherwise). Holds the keys: the caller
 * marks the file secret and mounts it read-only; nothing else ever sees them.
 */
export function renderRcloneConfig(dest: BackupDestination, creds?: S3Credentials): string {
  if (dest.type === "volume") return `[${BACKUP_REMOTE}]\ntype = local\n`;
  if (!creds) throw new Error("backups.destination.type s3 needs the backupS3AccessKeyId and backupS3SecretAccessKey secrets");
  for (const [name, value] of Object.entries({ backupS3AccessKeyId: creds.accessKeyId, backupS3SecretAccessKey: creds.secretAccessKey })) {
    // One INI line per key: a line break would end it, outer spaces would be trimmed.
    if (value === "" || /[\r\n]/.test(value) || value.trim() !== value) throw new Error(`the ${name} secret must be one line without surrounding spaces`);
  }
  const lines = [
    `[${BACKUP_REMOTE}]`,
    "type = s3",
    `provider = ${dest.endpoint ? "Other" : "AWS"}`,
    // Keys from this file only, never from the environment or an instance role.
    "env_auth = false",
    `access_key_id = ${creds.accessKeyId}`,
    `secret_access_key = ${creds.secretAccessKey}`,
    `region = ${dest.region ?? "us-east-1"}`,
    ...(dest.endpoint ? [`endpoint = ${dest.endpoint}`] : []),
    // The bucket exists (it is configured); keys scoped to it may not create or list buckets.
    "no_check_bucket = true",
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The POSIX sh script of one backup run. Each target runs on its own: one failing does not stop
 * the others, and the run exits 1 when any failed. Per target: upload a timestamped file to
 * `<remote>/<kind>/`, then keep the newest `keep` there. Last, the textfile: per target the last
 * run, whether it succeeded, and the time and size of the last success (carried over from the
 * previous textfile when this run failed).
 */
export function renderBackupScript(input: BackupScriptInput): string {
  const targets = [input.prometheus && "prometheus", input.grafana && "grafana", input.alertmanager && "alertmanager"].filter((t): t is string => !!t);
  if (targets.length === 0) throw new Error("renderBackupScript: no target to back up");
  if (!Number.isInteger(input.keep) || input.keep < 1) throw new Error(`renderBackupScript: keep must be a whole number of at least 1, not ${input.keep}`);
  const timeout = input.httpTimeoutSeconds ?? 300;
  const vars = [
    `REMOTE=${shQuote(input.remote)}`,
    `KEEP=${input.keep}`,
    `METRICS_FILE=${shQuote(input.metricsFile)}`,
    `export RCLONE_CONFIG=${shQuote(input.rcloneConfig)}`,
    `HTTP_TIMEOUT=${timeout}`,
    ...(input.prometheus ? [`PROM_URL=${shQuote(input.prometheus.url.replace(/\/+$/, ""))}`, `PROM_DATA=${shQuote(input.prometheus.dataDir)}`] : []),
    ...(input.grafana ? [`GRAFANA_DB=${shQuote(input.grafana.dbPath)}`] : []),
    ...(input.alertmanager ? [`AM_URL=${shQuote(input.alertmanager.url.replace(/\/+$/, ""))}`] : []),
  ];
  const steps: string[] = [];
  if (input.prometheus) steps.push(PROMETHEUS_STEP);
  if (input.grafana) steps.push(GRAFANA_STEP);
  if (input.alertmanager) steps.push(ALERTMANAGER_STEP);
  return `#!/bin/sh
# One backup run (${targets.join(", ")}). Rendered by components/backups/backup-script.ts.
set -eu
${vars.join("\n")}
TARGETS=${shQuote(targets.join(" "))}

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NOW=$(date -u +%s)
WORK=$(mktemp -d "\${TMPDIR:-/tmp}/backup.XXXXXX")
SNAPSHOT=''
trap 'rm -rf "$WORK"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) backup $*"; }
size_of() { wc -c < "$1" | tr -d ' '; }

# upload KIND FILE NAME: copy to <remote>/<kind>/<name>, then keep the newest $KEEP of the kind.
upload() {
  rclone copyto "$2" "$REMOTE/$1/$3"
  log "$1: uploaded $3 ($(size_of "$2") bytes) to $REMOTE/$1/"
  rclone lsf --files-only "$REMOTE/$1/" | grep "^$1-" | sort -r | tail -n +$((KEEP + 1)) > "$WORK/prune-$1"
  while IFS= read -r old; do
    rclone deletefile "$REMOTE/$1/$old"
    log "$1: deleted $old (keeping the newest $KEEP)"
  done < "$WORK/prune-$1"
}
${steps.join("")}
# The textfile: read back the last success of a target that failed now.
previous() {
  if [ -f "$METRICS_FILE" ]; then sed -n "s/^$1{target=\\"$2\\"} //p" "$METRICS_FILE"; fi
}

# val NAME TARGET: the value of the variable NAME_TARGET set below.
val() { eval "printf '%s' \\"\\\${$1_$2-}\\""; }

FAILED=''
for target in $TARGETS; do
  started=$(date -u +%s)
  # A subshell with -e of its own: errexit is ignored in an if or || context, so the status is read after.
  set +e
  # A snapshot left behind by a failure would keep hard links to blocks Prometheus has since deleted.
  ( set -e; trap 'if [ -n "$SNAPSHOT" ]; then rm -rf "$SNAPSHOT"; fi' EXIT; "backup_$target" )
  status=$?
  set -e
  eval "DURATION_$target=$(( $(date -u +%s) - started ))"
  if [ "$status" -eq 0 ]; then
    eval "OK_$target=1"
    log "$target: done"
  else
    eval "OK_$target=0"
    FAILED="$FAILED $target"
    log "$target: FAILED (exit $status)"
  fi
done

mkdir -p "$(dirname "$METRICS_FILE")"
TMP="$METRICS_FILE.tmp.$$"
{
  echo '# HELP backup_last_run_timestamp_seconds When the last backup run of the target ended, successful or not.'
  echo '# TYPE backup_last_run_timestamp_seconds gauge'
  for t in $TARGETS; do echo "backup_last_run_timestamp_seconds{target=\\"$t\\"} $NOW"; done
  echo '# HELP backup_last_run_success Whether the last backup run of the target succeeded (1) or failed (0).'
  echo '# TYPE backup_last_run_success gauge'
  for t in $TARGETS; do echo "backup_last_run_success{target=\\"$t\\"} $(val OK "$t")"; done
  echo '# HELP backup_last_run_duration_seconds How long the last backup run of the target took.'
  echo '# TYPE backup_last_run_duration_seconds gauge'
  for t in $TARGETS; do echo "backup_last_run_duration_seconds{target=\\"$t\\"} $(val DURATION "$t")"; done
  echo '# HELP backup_last_success_timestamp_seconds When the newest backup of the target that succeeded was taken.'
  echo '# TYPE backup_last_success_timestamp_seconds gauge'
  for t in $TARGETS; do
    if [ "$(val OK "$t")" = 1 ]; then v=$NOW; else v=$(previous backup_last_success_timestamp_seconds "$t"); fi
    if [ -n "$v" ]; then echo "backup_last_success_timestamp_seconds{target=\\"$t\\"} $v"; fi
  done
  echo '# HELP backup_last_size_bytes Size of the newest backup of the target that succeeded, as uploaded.'
  echo '# TYPE backup_last_size_bytes gauge'
  for t in $TARGETS; do
    if [ "$(val OK "$t")" = 1 ]; then v=$(cat "$WORK/size-$t"); else v=$(previous backup_last_size_bytes "$t"); fi
    if [ -n "$v" ]; then echo "backup_last_size_bytes{target=\\"$t\\"} $v"; fi
  done
} > "$TMP"
mv -f "$TMP" "$METRICS_FILE"
log "metrics: wrote $METRICS_FILE"

if [ -n "$FAILED" ]; then
  log "run FAILED for:$FAILED"
  exit 1
fi
log "run succeeded ($TARGETS)"
`;
}

const PROMETHEUS_STEP = `
# Prometheus: a TSDB snapshot (hard links, taken by Prometheus itself), tarred from inside its
# folder so that the archive unpacks straight into an empty data directory.
backup_prometheus() {
  log "prometheus: snapshot via $PROM_URL/api/v1/admin/tsdb/snapshot"
  answer=$(timeout "$HTTP_TIMEOUT" wget -q -O - --post-data='' "$PROM_URL/api/v1/admin/tsdb/snapshot")
  name=$(printf '%s' "$answer" | sed -n 's/.*"name":"\\([^"]*\\)".*/\\1/p')
  case "$name" in
    '' | *[!A-Za-z0-9-]*) log "prometheus: no snapshot name in the answer: $answer"; return 1 ;;
  esac
  SNAPSHOT="$PROM_DATA/snapshots/$name"
  [ -d "$SNAPSHOT" ] || { log "prometheus: snapshot $name is not at $SNAPSHOT: is Prometheus' volume mounted there?"; return 1; }
  file="prometheus-$STAMP.tar.gz"
  tar -C "$SNAPSHOT" -czf "$WORK/$file" .
  log "prometheus: archived snapshot $name ($(size_of "$WORK/$file") bytes)"
  rm -rf "$SNAPSHOT"
  SNAPSHOT=''
  log "prometheus: deleted snapshot $name from Prometheus' volume"
  upload prometheus "$WORK/$file" "$file"
  size_of "$WORK/$file" > "$WORK/size-prometheus"
}
`;

const GRAFANA_STEP = `
# Grafana: its SQLite file, copied until two copies in a row are identical (no write landed in
# between) and no hot journal is beside it; the image has no sqlite3 for an online backup.
backup_grafana() {
  [ -f "$GRAFANA_DB" ] || { log "grafana: no database at $GRAFANA_DB"; return 1; }
  attempt=1
  while :; do
    cp "$GRAFANA_DB" "$WORK/grafana-a.db"
    cp "$GRAFANA_DB" "$WORK/grafana-b.db"
    if [ ! -e "$GRAFANA_DB-journal" ] && cmp -s "$WORK/grafana-a.db" "$WORK/grafana-b.db"; then break; fi
    if [ "$attempt" -ge 5 ]; then log "grafana: $GRAFANA_DB kept changing over 5 attempts"; return 1; fi
    attempt=$((attempt + 1))
    sleep 2
  done
  file="grafana-$STAMP.db.gz"
  gzip -c "$WORK/grafana-a.db" > "$WORK/$file"
  log "grafana: copied $GRAFANA_DB ($(size_of "$WORK/grafana-a.db") bytes)"
  upload grafana "$WORK/$file" "$file"
  size_of "$WORK/$file" > "$WORK/size-grafana"
}
`;

const ALERTMANAGER_STEP = `
# Alertmanager: every silence as the API lists it; a restore re-creates the active ones.
backup_alertmanager() {
  file="alertmanager-$STAMP.json"
  timeout "$HTTP_TIMEOUT" wget -q -O "$WORK/$file" "$AM_URL/api/v2/silences"
  case "$(head -c 1 "$WORK/$file")" in
    '[') ;;
    *) log "alertmanager: $AM_URL/api/v2/silences did not answer a JSON list"; return 1 ;;
  esac
  log "alertmanager: fetched the silences ($(size_of "$WORK/$file") bytes)"
  upload alertmanager "$WORK/$file" "$file"
  size_of "$WORK/$file" > "$WORK/size-alertmanager"
}
`;

/** A silence as `GET /api/v2/silences` lists it. */
export interface ListedSilence {
  id: string;
  status: { state: "active" | "pending" | "expired" };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  updatedAt?: string;
}

/** The body `POST /api/v2/silences` takes to create a silence (no `id`: a new one). */
export type PostableSilence = Pick<ListedSilence, "matchers" | "startsAt" | "endsAt" | "createdBy" | "comment">;

/**
 * What a restore posts: the silences of a backup that are still active or pending at `now`, as new
 * silences (an `id` would ask Alertmanager to update one it does not have). Sorted by id: deterministic.
 */
export function restorableSilences(backup: ListedSilence[], now: Date): PostableSilence[] {
  return [...backup]
    .filter((s) => s.status.state !== "expired" && Date.parse(s.endsAt) > now.getTime())
    .sort((a, b) => a.id.localeCompare(b.id))
    .map(({ matchers, startsAt, endsAt, createdBy, comment }) => ({ matchers, startsAt, endsAt, createdBy, comment }));
}

/** The allowed values of each cron field as the scheduler's sh lists hold them (space-padded). */
export function schedulerLists(schedule: Cron): Record<"MINUTES" | "HOURS" | "DOMS" | "MONTHS" | "DOWS", string> {
  const list = (values: readonly number[]) => ` ${values.join(" ")} `;
  return { MINUTES: list(schedule.minutes), HOURS: list(schedule.hours), DOMS: list(schedule.daysOfMonth), MONTHS: list(schedule.months), DOWS: list(schedule.daysOfWeek) };
}

/**
 * The sh function `due MIN HOUR DOM MONTH DOW` (as `date -u '+%M %H %d %m %w'` prints them, zero
 * padded): status 0 when the schedule runs at that minute. The value lists are expanded here, by
 * the same parser the config is checked with; day-of-month and day-of-week follow cron's rule
 * (either matches when both are restricted).
 */
export function renderScheduleMatcher(schedule: Cron): string {
  const lists = schedulerLists(schedule);
  return `# ${schedule.source.replace(/\n/g, " ")} (UTC), expanded by components/backups/cron.ts.
${Object.entries(lists).map(([k, v]) => `${k}=${shQuote(v)}`).join("\n")}
DOM_STAR=${schedule.domStar ? 1 : 0}
DOW_STAR=${schedule.dowStar ? 1 : 0}
in_list() { case "$2" in *" $1 "*) return 0 ;; esac; return 1; }
unpad() { v=\${1#0}; echo "\${v:-0}"; }
due() {
  in_list "$(unpad "$1")" "$MINUTES" || return 1
  in_list "$(unpad "$2")" "$HOURS" || return 1
  in_list "$(unpad "$4")" "$MONTHS" || return 1
  dom=0; dow=0
  if in_list "$(unpad "$3")" "$DOMS"; then dom=1; fi
  if in_list "$5" "$DOWS"; then dow=1; fi
  if [ "$DOM_STAR" = 1 ] || [ "$DOW_STAR" = 1 ]; then
    [ "$dom" = 1 ] && [ "$dow" = 1 ]
  else
    [ "$dom" = 1 ] || [ "$dow" = 1 ]
  fi
}
`;
}

export interface SchedulerInput {
  /** The parsed `backups.schedule`. */
  schedule: Cron;
  /** Path of the rendered backup script in the container. */
  backupScript: string;
  /** The folder holding the metrics textfile, served read-only over HTTP. */
  metricsDir: string;
  /** The port `rclone serve http` listens on. Default 9107. */
  metricsPort?: number;
}

/**
 * The Docker scheduler: a long-running POSIX sh loop (busybox crond cannot drop privileges as a
 * non-root user) that serves the metrics textfile with `rclone serve http`, wakes at each minute
 * boundary, and runs the backup when the minute is due. Runs never overlap: the loop waits for
 * a run to end, and a minute that passed during a run is not caught up. Exits when the server
 * dies, so the container's restart policy brings both back.
 */
export function renderSchedulerScript(input: SchedulerInput): string {
  const port = input.metricsPort ?? BACKUP_METRICS_PORT;
  return `#!/bin/sh
# Runs ${shQuote(input.backupScript)} at the minutes of the schedule; on Kubernetes a CronJob does this.
# Rendered by components/backups/backup-script.ts.
set -u
${renderScheduleMatcher(input.schedule)}
log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) scheduler $*"; }

# The textfile over HTTP for Prometheus (content type by extension: the scrape job sets a fallback protocol).
# Its folder exists before the server starts, and the server re-reads it every second: rclone caches
# a listing (5 minutes by default), and a folder created later, or a file replaced by a run, would
# answer 404 or stale bytes until then.
mkdir -p ${shQuote(input.metricsDir)}
rclone serve http ${shQuote(input.metricsDir)} --addr ${shQuote(`:${port}`)} --read-only --dir-cache-time 1s --poll-interval 0 &
SERVER=$!
RUN=''
NAP=''
stop() {
  if [ -n "$RUN" ]; then kill "$RUN" 2>/dev/null || true; wait "$RUN" 2>/dev/null || true; fi
  if [ -n "$NAP" ]; then kill "$NAP" 2>/dev/null || true; fi
  kill "$SERVER" 2>/dev/null || true
  exit 0
}
trap stop TERM INT
log "serving ${shQuote(input.metricsDir)} on :${port}; schedule ${shQuote(input.schedule.source)} (UTC)"

LAST=''
while :; do
  kill -0 "$SERVER" 2>/dev/null || { log "rclone serve http exited"; exit 1; }
  # One reading of the clock: minute key, then the fields the schedule is matched against.
  set -- $(date -u '+%Y%m%d%H%M %M %H %d %m %w %S')
  key=$1; shift
  if [ "$key" != "$LAST" ] && due "$1" "$2" "$3" "$4" "$5"; then
    LAST=$key
    log "run starting"
    sh ${shQuote(input.backupScript)} &
    RUN=$!
    if wait "$RUN"; then log "run succeeded"; else log "run failed (exit $?)"; fi
    RUN=''
    continue
  fi
  # Sleep to the next minute boundary; in the background, so that a stop signal is handled at once.
  sec=$(unpad "$6")
  sleep $((60 - sec)) &
  NAP=$!
  wait "$NAP" || true
  NAP=''
done
`;
}
