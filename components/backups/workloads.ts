import * as pulumi from "@pulumi/pulumi";
import { BackupsConfig, BackupTarget } from "./config";
import { NOBODY, ResourceSpec, WorkloadSpec } from "../platform/types";
import { GRAFANA_USER } from "../grafana/workloads";
import { images } from "../shared/versions";
import { BACKUP_METRICS_FILE_NAME, BACKUP_METRICS_PORT } from "./backup-script";

/**
 * Pure builders of the backup workloads: one per target, because each runs as the user that owns
 * what it copies (Prometheus' `nobody`, Grafana's `grafana`) and, on Kubernetes, beside the pod
 * whose ReadWriteOnce claim it mounts.
 */

const COMPONENT = "backups";
export const BACKUP_DIR = "/etc/backup";
export const BACKUP_SCRIPT_PATH = `${BACKUP_DIR}/backup.sh`;
export const SCHEDULER_SCRIPT_PATH = `${BACKUP_DIR}/scheduler.sh`;
export const RCLONE_CONFIG_PATH = `${BACKUP_DIR}/rclone.conf`;
/**
 * The job's own volume (the backups, when the destination is a volume, and the Docker scheduler's
 * textfile): alpine's /var/tmp, mode 1777 in the image, which Docker copies onto a fresh volume,
 * so a non-root job can write it without a chown.
 */
export const BACKUP_STATE_DIR = "/var/tmp";
export const BACKUP_VOLUME_DIR = `${BACKUP_STATE_DIR}/backups`;
/** Where the Docker scheduler keeps the textfile it serves; on Kubernetes the run's /tmp (the CronJob's status is what is watched). */
export const BACKUP_METRICS_DIR = { loop: `${BACKUP_STATE_DIR}/metrics`, native: "/tmp/metrics" } as const;
export const backupMetricsFile = (mode: "loop" | "native") => `${BACKUP_METRICS_DIR[mode]}/${BACKUP_METRICS_FILE_NAME}`;

/** What each target's job mounts and runs as. */
export const BACKUP_SOURCES: Record<BackupTarget, { user: { uid: number; gid: number }; mount?: { workload: string; mountPath: string; readOnly: boolean } }> = {
  // Read-write: Prometheus writes the snapshot there and the job deletes it once copied.
  prometheus: { user: NOBODY, mount: { workload: "prometheus", mountPath: "/prometheus", readOnly: false } },
  grafana: { user: GRAFANA_USER, mount: { workload: "grafana", mountPath: "/grafana", readOnly: true } },
  // Through the API only.
  alertmanager: { user: NOBODY },
};

export interface BackupFiles {
  backupScript: string;
  /** The Docker scheduler loop; absent where the platform schedules the job. */
  schedulerScript?: string;
  rcloneConfig: pulumi.Input<string>;
  /** The rclone config holds the S3 keys. */
  rcloneSecret: boolean;
}

/**
 * One target's backup workload. `native`: a CronJob that runs the backup script at the schedule.
 * `loop`: a long-running container whose scheduler script runs it, and serves the textfile of the
 * last runs on `metrics` for Prometheus.
 */
export function backupSpec(cfg: BackupsConfig, target: BackupTarget, scheduling: "native" | "loop", files: BackupFiles): WorkloadSpec {
  const source = BACKUP_SOURCES[target];
  const common = {
    name: `backup-${target}`,
    component: COMPONENT,
    image: images.rclone,
    entrypoint: ["/bin/sh"],
    files: [
      { path: BACKUP_SCRIPT_PATH, content: files.backupScript },
      ...(files.schedulerScript !== undefined ? [{ path: SCHEDULER_SCRIPT_PATH, content: files.schedulerScript }] : []),
      { path: RCLONE_CONFIG_PATH, content: files.rcloneConfig, ...(files.rcloneSecret ? { secret: true } : {}) },
    ],
    // rclone keeps its cache and lock files under XDG_CACHE_HOME; HOME is the read-only root's.
    env: { XDG_CACHE_HOME: "/tmp/rclone-cache", HOME: "/tmp" },
    ...(source.mount ? { volumeMounts: [source.mount] } : {}),
    resources: cfg.resources as ResourceSpec,
    user: source.user,
  };
  // The backups themselves on a volume of the job's own; with S3 the Docker scheduler still keeps its textfile there.
  const volume = cfg.destination.type === "volume" ? { mountPath: BACKUP_STATE_DIR, size: cfg.destination.size } : undefined;
  if (scheduling === "native") {
    if (files.schedulerScript !== undefined) throw new Error("a scheduled job needs no scheduler script");
    return {
      ...common,
      args: [BACKUP_SCRIPT_PATH],
      mode: "scheduled",
      schedule: cfg.schedule,
      ports: [],
      ...(volume ? { volume } : {}),
      probe: { process: "a job runs to completion: its exit status is its health, and BackupTooOld watches its last success" },
    };
  }
  if (files.schedulerScript === undefined) throw new Error("the Docker scheduler needs its script");
  return {
    ...common,
    args: [SCHEDULER_SCRIPT_PATH],
    mode: "service",
    ports: [{ name: "metrics", port: BACKUP_METRICS_PORT }],
    volume: volume ?? { mountPath: BACKUP_STATE_DIR, size: "1Gi" },
    probe: { tcp: { port: BACKUP_METRICS_PORT } },
  };
}
