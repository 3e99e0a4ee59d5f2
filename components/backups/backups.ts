import * as pulumi from "@pulumi/pulumi";
import { BACKUP_TARGETS, BackupsConfig, BackupTarget } from "./config";
import { cron } from "./cron";
import { BACKUP_METRICS_FILE_NAME, remotePath, renderBackupScript, renderRcloneConfig, renderSchedulerScript } from "./backup-script";
import { BACKUP_METRICS_DIR, BACKUP_SCRIPT_PATH, BACKUP_SOURCES, BACKUP_VOLUME_DIR, backupMetricsFile, backupSpec, RCLONE_CONFIG_PATH } from "./workloads";
import { DeployedWorkload, Platform, WorkloadSpec } from "../platform/types";
import { ScrapeJob } from "../metrics/prometheus-types";
import { jobNames } from "../metrics/job-names";

export interface BackupsArgs {
  platform: Platform;
  /** `backups`, validated (`backupsSchema` + `backupsIssues`). */
  backups: BackupsConfig;
  /** What to back up (`backupTargets(backups, <what the stack deploys>)`). Default: every target not set false. */
  targets?: BackupTarget[];
  /** `http://host:port` of the stack's Prometheus (with its admin API on), when `targets.prometheus`. */
  prometheusUrl?: string;
  /** `http://host:port` of the stack's Alertmanager, when `targets.alertmanager`. */
  alertmanagerUrl?: string;
  /** The S3 keys (Pulumi secrets), when `destination.type` is `s3`. */
  s3Credentials?: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
}

/**
 * Scheduled backups: per target a Kubernetes CronJob, or on Docker a scheduler container, that
 * snapshots Prometheus through its admin API, copies Grafana's database and lists Alertmanager's
 * silences, uploads each to a retained volume or an S3 bucket, and keeps the newest `keep`.
 * Deployed after the parts it copies: it mounts their volumes.
 */
export class Backups extends pulumi.ComponentResource {
  /** The targets backed up. */
  public readonly targets: BackupTarget[];
  /** Where the backups go: `backup:/var/tmp/backups[/prefix]` (each job's volume) or `backup:<bucket>[/prefix]`. */
  public readonly destination: string;
  /** The Docker schedulers' textfiles (empty where the platform schedules: kube-state-metrics reports the CronJobs). */
  public readonly scrapeJobs: ScrapeJob[];
  public readonly workloads: WorkloadSpec[] = [];

  constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability:index:Backups", name, {}, opts);
    const cfg = args.backups;
    const dest = cfg.destination;
    if (dest.type === "s3" && (!dest.bucket || !args.s3Credentials)) throw new Error(`${name}: backups.destination.type s3 needs destination.bucket and s3Credentials`);
    const scheduling = args.platform.capabilities.scheduledJobs;
    this.targets = args.targets ?? BACKUP_TARGETS.filter((t) => cfg.targets[t] !== false);
    this.destination = remotePath(dest, BACKUP_VOLUME_DIR);
    const rcloneConfig = dest.type === "s3"
      ? pulumi.secret(pulumi.all([args.s3Credentials!.accessKeyId, args.s3Credentials!.secretAccessKey]).apply(([accessKeyId, secretAccessKey]) => renderRcloneConfig(dest, { accessKeyId, secretAccessKey })))
      : renderRcloneConfig(dest);
    const schedule = cron(cfg.schedule);

    const deployed: DeployedWorkload[] = [];
    for (const target of this.targets) {
      const mount = BACKUP_SOURCES[target].mount;
      const backupScript = renderBackupScript({
        ...(target === "prometheus" ? { prometheus: { url: required(args.prometheusUrl, "prometheusUrl"), dataDir: mount!.mountPath } } : {}),
        ...(target === "grafana" ? { grafana: { dbPath: `${mount!.mountPath}/grafana.db` } } : {}),
        ...(target === "alertmanager" ? { alertmanager: { url: required(args.alertmanagerUrl, "alertmanagerUrl") } } : {}),
        remote: this.destination,
        keep: cfg.keep,
        metricsFile: backupMetricsFile(scheduling),
        rcloneConfig: RCLONE_CONFIG_PATH,
      });
      const schedulerScript = scheduling === "loop" ? renderSchedulerScript({ schedule, backupScript: BACKUP_SCRIPT_PATH, metricsDir: BACKUP_METRICS_DIR.loop }) : undefined;
      const spec = backupSpec(cfg, target, scheduling, { backupScript, schedulerScript, rcloneConfig, rcloneSecret: dest.type === "s3" });
      this.workloads.push(spec);
      deployed.push(args.platform.deploy(spec, this));
    }
    this.scrapeJobs =
      scheduling === "loop"
        ? [{
            kind: "targets",
            name: jobNames.backups,
            endpoint: { kind: "static", targets: deployed.flatMap((d) => staticTargets(d, name)) },
            metricsPath: `/${BACKUP_METRICS_FILE_NAME}`,
            // rclone serves the textfile without an exposition Content-Type.
            fallbackScrapeProtocol: "PrometheusText0.0.4",
          }]
        : [];
    this.registerOutputs({ destination: this.destination });

    function required(value: string | undefined, what: string): string {
      if (value === undefined) throw new Error(`${name}: ${what} is required for its target`);
      return value;
    }
  }
}

/** The schedulers' addresses: a loop runs on a platform of fixed addresses (Docker). */
function staticTargets(d: DeployedWorkload, name: string): string[] {
  const endpoint = d.scrapeEndpoint("metrics");
  if (endpoint.kind !== "static") throw new Error(`${name}: a backup scheduler loop needs fixed addresses, not ${endpoint.kind}`);
  return endpoint.targets;
}
