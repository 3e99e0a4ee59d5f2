import { z } from "zod";
import { resources, storageQuantity, strictObject } from "../shared/config-primitives";
import { cron, longestGapSeconds, parseCron } from "./cron";

/**
 * The `observability:backups` part of the stack config: scheduled copies of Prometheus' TSDB (a
 * snapshot), Grafana's SQLite database and Alertmanager's silences to a retained volume or an S3
 * bucket. The lead wires `backupsSchema` into `stackConfigSchema` and `backupsIssues` into the
 * loader's cross-field checks.
 */

/** The S3 credentials: secrets read with `getSecret`, required when `backups.destination.type` is `s3`. */
export const backupSecretKeys = {
  backupS3AccessKeyId: "backupS3AccessKeyId",
  backupS3SecretAccessKey: "backupS3SecretAccessKey",
} as const;

/** What a backup run copies; each kind is kept and pruned on its own. */
export const BACKUP_TARGETS = ["prometheus", "grafana", "alertmanager"] as const;
export type BackupTarget = (typeof BACKUP_TARGETS)[number];

/** An example the schedule messages show. */
const SCHEDULE_EXAMPLE = `"0 */6 * * *" (minute hour day-of-month month day-of-week, UTC)`;

const backupsResourceDefaults = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } };

const enabledTarget = (what: string) => z.boolean({ invalid_type_error: `must be true or false (back up ${what})` }).default(true);

export const backupsSchema = strictObject({
  /** Run scheduled backups. Default false: a backup destination is a decision (where, how big, whose bucket). */
  enabled: z.boolean().default(false),
  /**
   * When backups run: a standard 5-field cron expression in UTC (`minute hour day-of-month month
   * day-of-week`; lists, ranges, steps, `JAN`..`DEC`, `SUN`..`SAT`, and `@daily`-style macros).
   * Default: every 6 hours on the hour, so at most 6 hours of metrics are lost with Prometheus' volume.
   */
  schedule: z.string({ invalid_type_error: `must be a cron expression, e.g. ${SCHEDULE_EXAMPLE}` }).default("0 */6 * * *"),
  /** How many backups of each kind are kept; older ones are deleted after each successful run. Default 7. */
  keep: z
    .number({ invalid_type_error: "must be a whole number of at least 1 (e.g. 7)" })
    .int("must be a whole number of at least 1 (e.g. 7)")
    .min(1, "must be a whole number of at least 1 (e.g. 7)")
    .default(7),
  targets: strictObject({
    /** Prometheus' TSDB: a snapshot through the admin API, tarred and gzipped. Default true. */
    prometheus: enabledTarget("Prometheus' TSDB"),
    /**
     * Grafana's SQLite database (`grafana.db`: users, API keys, dashboards made in the UI). Default:
     * true when the stack deploys Grafana (`grafana.enabled`, `mode: deploy`); true without it is an error.
     */
    grafana: z.boolean({ invalid_type_error: "must be true or false (back up Grafana's database)" }).optional(),
    /** Alertmanager's silences, as the JSON of `GET /api/v2/silences`. Default: true when `alertmanager.enabled`; true without it is an error. */
    alertmanager: z.boolean({ invalid_type_error: "must be true or false (back up Alertmanager's silences)" }).optional(),
  }).default({}),
  destination: strictObject({
    /** `volume` (a retained volume of the stack) or `s3` (any S3-compatible store). Default `volume`. */
    type: z
      .enum(["volume", "s3"], {
        errorMap: (issue, ctx) => ({ message: issue.code === "invalid_enum_value" ? `"${ctx.data}" is not a destination type (types: s3, volume)` : "must be volume or s3" }),
      })
      .default("volume"),
    /** Size of the backup volume (`type: volume`); about `keep` × (TSDB size compressed, ~1/3) plus Grafana's database. Default `50Gi`. */
    size: storageQuantity.default("50Gi"),
    /** S3 bucket; required when `type` is `s3`. */
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 lowercase letters, digits, . and -, e.g. acme-backups)")
      .optional(),
    /** S3 endpoint (`https://s3.eu-west-1.amazonaws.com`, `http://minio:9000`). Default: AWS for `region`. */
    endpoint: z.string().min(1, "must not be empty").optional(),
    /** S3 region. Default `us-east-1`. */
    region: z.string().regex(/^[a-z0-9-]+$/, "must be a region name (e.g. eu-west-1)").optional(),
    /** Folder inside the bucket or the volume under which `prometheus/`, `grafana/` and `alertmanager/` are written. Default none. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "must be a relative folder path (letters, digits, . _ - separated by /, no leading or trailing /, e.g. prod/observability)")
      .optional(),
  }).default({}),
  /** CPU and memory requests and limits of a backup run (and of the Docker scheduler it runs in). */
  resources: resources.default(backupsResourceDefaults),
});

export type BackupsConfig = z.infer<typeof backupsSchema>;

/** A config problem: path under the config namespace, and the message (as the loader formats them). */
export type ConfigIssue = [(string | number)[], string];

/**
 * Checks what spans fields of `backups`: a schedule that is a cron expression and runs at all,
 * something to back up, and an S3 destination with its bucket and credentials.
 *
 * @param presentSecrets names of the secrets the stack was given (see `backupSecretKeys`).
 */
export function backupsIssues(backups: BackupsConfig, presentSecrets: ReadonlySet<string>): ConfigIssue[] {
  if (!backups.enabled) return [];
  const issues: ConfigIssue[] = [];
  const parsed = parseCron(backups.schedule);
  if (!parsed.ok) {
    issues.push([["backups", "schedule"], `"${backups.schedule}" is not a cron expression: ${parsed.error}; e.g. ${SCHEDULE_EXAMPLE}`]);
  } else if (longestGapSeconds(parsed.cron) === undefined) {
    issues.push([["backups", "schedule"], `"${backups.schedule}" never runs: no date matches it; e.g. ${SCHEDULE_EXAMPLE}`]);
  }
  if (!BACKUP_TARGETS.some((t) => backups.targets[t] !== false)) {
    issues.push([["backups", "targets"], `selects nothing to back up: set at least one of ${BACKUP_TARGETS.join(", ")} to true, or backups.enabled to false`]);
  }
  const dest = backups.destination;
  if (dest.type === "s3") {
    if (!dest.bucket) issues.push([["backups", "destination", "bucket"], "is required when backups.destination.type is s3"]);
    const hints = { backupS3AccessKeyId: "<access key id>", backupS3SecretAccessKey: "<secret access key>" };
    for (const key of Object.values(backupSecretKeys)) {
      if (!presentSecrets.has(key)) issues.push([[key], `is required when backups.destination.type is s3: pulumi config set --secret ${key} '${hints[key]}'`]);
    }
  } else {
    for (const field of ["bucket", "endpoint", "region"] as const) {
      if (dest[field] !== undefined) issues.push([["backups", "destination", field], `is only read when backups.destination.type is s3 (it is ${dest.type}): remove it or set the type to s3`]);
    }
  }
  return issues;
}

/**
 * The targets a stack backs up: Prometheus when `targets.prometheus`; Grafana and Alertmanager when
 * set true, or, unset, when the stack deploys them.
 */
export function backupTargets(backups: BackupsConfig, deployed: { grafana: boolean; alertmanager: boolean }): BackupTarget[] {
  const on: Record<BackupTarget, boolean> = {
    prometheus: backups.targets.prometheus,
    grafana: backups.targets.grafana ?? deployed.grafana,
    alertmanager: backups.targets.alertmanager ?? deployed.alertmanager,
  };
  return BACKUP_TARGETS.filter((t) => on[t]);
}

/**
 * How old the newest successful backup may be before it counts as missed: twice the longest gap
 * between two runs of the schedule, so one late or failed run alone does not alert, two do.
 * Every 6 hours → 43200 s; `30 2 * * *` → 172800 s; `0 3 * * 1` → 1209600 s. Throws on a schedule
 * `backupsIssues` rejects.
 */
export function staleAfterSeconds(schedule: string): number {
  const gap = longestGapSeconds(cron(schedule));
  if (gap === undefined) throw new Error(`cron "${schedule}" never runs`);
  return 2 * gap;
}

export const backupsDefaults = { resources: backupsResourceDefaults };
