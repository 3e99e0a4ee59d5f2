/**
 * The stack's Prometheus alerting and recording rules, rendered from thresholds. Pure: no Pulumi.
 *
 * One file per group (`node.yml`, `http-slo.yml`, ...), like the kube-prometheus and node-mixin
 * rules; `rules/*.yml` in the repository are the renders of `defaultThresholds`
 * (`scripts/render-rules.ts`), tested by `promtool test rules` with `rules/tests/*.yml`.
 * Every expression is checked by the promtool of the Prometheus the stack pins (`components/shared/versions.ts`).
 */
import * as yaml from "js-yaml";
import { httpRedGroup } from "./http-rules";
import { durationSeconds, httpSloGroup } from "./slo-rules";
import { containersGroup, nodeGroup, targetsGroup } from "./infra-rules";
import { alertmanagerGroup, prometheusGroup } from "./self-rules";
import { blackboxGroup, postgresGroup, redisGroup } from "./data-service-rules";
import { kubernetesControlPlaneGroup, kubernetesGroup, kubernetesStorageGroup } from "./kubernetes-rules";
import { alloyGroup, grafanaGroup, lokiGroup } from "./logs-rules";
import { jaegerGroup, otelCollectorGroup, tempoGroup } from "./tracing-rules";
import { backupsGroup, errorTrackingGroup, opensearchGroup } from "./stack-services-rules";
import { isAlert, RuleGroup, RuleThresholds } from "./rule-types";

export * from "./rule-types";

/** Every threshold of every rule, in one place. */
export const defaultThresholds: RuleThresholds = {
  /** Default: this repository's `docs/runbooks`, so every alert links a page that exists. */
  runbookBaseUrl: "https://github.com/pulumi-observability/pulumi-observability/blob/main/docs/runbooks",

  /** Default 0.9: above it work queues; below it a busy host is doing its job (15 min sustained). */
  hostCpuUtilisation: 0.9,
  /** Default 0.9: MemAvailable already counts reclaimable cache, so 10% left is real pressure. */
  hostMemoryUtilisation: 0.9,
  /** Default 0.1: 10% left leaves hours to act on most disks; the fill prediction covers fast fills. */
  hostDiskAvailableRatio: 0.1,
  /**
   * Default: in-memory and image filesystems, which are full or read-only by design. node-exporter
   * already drops proc/sys/overlay/... by default; these are the ones it keeps.
   */
  filesystemExcludedFsTypes: ["tmpfs", "ramfs", "squashfs", "iso9660", "overlay"],
  /** Default 0.05 s (node-mixin's): NTP keeps healthy hosts within a few ms; 50 ms breaks ordering of logs and traces. */
  hostClockOffsetSeconds: 0.05,

  /** Default 2: three restarts within 15 minutes is a crash loop, one or two is a deploy or a blip. */
  containerRestarts: 2,
  /** Default 0.9: the working set is what the OOM killer measures against the limit. */
  containerMemoryLimitRatio: 0.9,

  /** Default 0.8: superuser_reserved_connections and pools need headroom before clients are refused. */
  postgresConnectionsRatio: 0.8,
  /** Default 5 per 10 min: a rare deadlock is resolved by PostgreSQL; a stream of them is a code regression. */
  postgresDeadlocks: 5,
  /** Default 900 s: OLTP transactions last milliseconds; 15 minutes is a stuck or forgotten one holding back VACUUM. */
  postgresLongTransactionSeconds: 900,

  /** Default 0.9: near maxmemory Redis starts evicting (or refusing writes with noeviction). */
  redisMemoryRatio: 0.9,

  /** Default 1 s: an endpoint answering a probe slower than that is slow for users too. */
  probeSlowSeconds: 1,
  /** Default 14 days: two weeks to renew even when automation (ACME) has silently failed. */
  tlsCertificateExpiryDays: 14,

  /**
   * Default `status`: prom-client examples and most of the seeds' services label the code
   * `status`; services using `status_code` (also common with prom-client) set it here.
   */
  httpStatusLabel: "status",
  /** Default `http_requests_total`: the name used by the client libraries' conventions. */
  httpRequestsMetric: "http_requests_total",
  /** Default `http_request_duration_seconds`: the conventional histogram of request latency. */
  httpDurationMetric: "http_request_duration_seconds",
  /** Default 0.995 (99.5%): 3.6 hours of errors a month, strict yet reachable for a single-region service. */
  availabilityObjective: 0.995,
  /** Default 0.5 s: a default bucket bound of prom-client and the Go client, and a wait users notice. */
  latencyThresholdSeconds: 0.5,
  /** Default 0.99: 1% of slow requests is the usual p99 target. */
  latencyObjective: 0.99,
  /**
   * Default: the SRE workbook's table for a 30-day budget. 14.4x over 1h spends 2% of the budget
   * and 6x over 6h 5% (page); 3x over 1d spends 10% and 1x over 3d 10% (ticket). The short
   * windows (1/12 of the long) let an alert resolve soon after the burn stops. `for` values are
   * kube-prometheus's: short enough not to delay a page, long enough to ignore one bad scrape.
   */
  burnRateWindows: [
    { long: "1h", short: "5m", factor: 14.4, severity: "critical", for: "2m" },
    { long: "6h", short: "30m", factor: 6, severity: "critical", for: "15m" },
    { long: "1d", short: "2h", factor: 3, severity: "warning", for: "1h" },
    { long: "3d", short: "6h", factor: 1, severity: "warning", for: "3h" },
  ],

  /** Default 0.9: past it, size-based retention is what limits history, not the time retention. */
  prometheusStorageRatio: 0.9,

  /** Default 0.01 (kube-prometheus's): a retried failure now and then is noise; 1% is a broken receiver. */
  alertmanagerFailedNotificationRatio: 0.01,
  /** Default: any job whose name contains `alertmanager`, the stack's own (`alertmanager`) included. */
  alertmanagerJobRegex: ".*alertmanager.*",
  /** Default undefined: expect every Alertmanager that is up to be a member. */
  alertmanagerExpectedPeers: undefined,

  /**
   * Default 15s: with 15 s scrape and evaluation intervals, two failed scrapes in a row of every
   * target of the job (one failed scrape never pages). Down to the page is then at most
   * scrape 15 s + evaluation 15 s + 15 s + the critical route's group_wait (10 s in
   * Pulumi.prod.yaml): 55 s. The price: a single-replica service that is down longer than that
   * during a deploy pages too; run two replicas, or raise this (TargetDown, 5m, stays the slow net).
   */
  serviceDownFor: "15s",

  /**
   * Default 0.01: the collector, Jaeger and Tempo retry and queue; 1% of a signal refused or
   * failed for 10 minutes is a backend that is down or a pipeline at its limits, not a blip.
   */
  telemetryLossRatio: 0.01,
  /** Default 0.05 (loki-mixin's request-error ratio is 10%): one request in twenty failing is a broken component. */
  requestErrorRatio: 0.05,
  /** Default 0.8: at 100% the collector drops new data; 80% for 10 minutes leaves time to fix the backend. */
  exporterQueueRatio: 0.8,
  /** Default 6 hours: the compactor applies retention every 10 minutes; hours without one is a stuck compactor. */
  lokiRetentionStaleHours: 6,
  /** Default 0.1: like the host disks; a volume cannot grow by itself unless its StorageClass allows expansion. */
  volumeAvailableRatio: 0.1,
  /** Default 0.05: inodes run out long after space on most filesystems; 5% left is many small files. */
  volumeInodesFreeRatio: 0.05,
  /** Default 0.03 (kubernetes-mixin's KubeAPIErrorBudgetBurn is finer, this is the plain ratio): 3% of API calls failing breaks controllers. */
  apiServerErrorRatio: 0.03,
};

/** Problems of a thresholds object, each naming its field; empty when valid. */
export function thresholdProblems(t: RuleThresholds): string[] {
  const problems: string[] = [];
  const ratio = (field: keyof RuleThresholds, exclusive = false) => {
    const v = t[field] as number;
    const ok = Number.isFinite(v) && (exclusive ? v > 0 && v < 1 : v >= 0 && v <= 1);
    if (!ok) problems.push(`${field} must be a number ${exclusive ? "strictly between 0 and 1" : "from 0 to 1"}, got ${v}`);
  };
  const positive = (field: keyof RuleThresholds) => {
    const v = t[field] as number;
    if (!(Number.isFinite(v) && v >= 0)) problems.push(`${field} must be a non-negative number, got ${v}`);
  };
  ratio("hostCpuUtilisation");
  ratio("hostMemoryUtilisation");
  ratio("hostDiskAvailableRatio");
  ratio("containerMemoryLimitRatio");
  ratio("postgresConnectionsRatio");
  ratio("redisMemoryRatio");
  ratio("prometheusStorageRatio");
  ratio("alertmanagerFailedNotificationRatio");
  ratio("telemetryLossRatio");
  ratio("requestErrorRatio");
  ratio("exporterQueueRatio");
  ratio("volumeAvailableRatio");
  ratio("volumeInodesFreeRatio");
  ratio("apiServerErrorRatio");
  if (!(Number.isFinite(t.lokiRetentionStaleHours) && t.lokiRetentionStaleHours > 0)) problems.push(`lokiRetentionStaleHours must be a positive number of hours, got ${t.lokiRetentionStaleHours}`);
  ratio("availabilityObjective", true);
  ratio("latencyObjective", true);
  for (const f of ["hostClockOffsetSeconds", "containerRestarts", "postgresDeadlocks", "postgresLongTransactionSeconds", "probeSlowSeconds", "tlsCertificateExpiryDays"] as const) positive(f);
  if (!(t.latencyThresholdSeconds > 0)) problems.push(`latencyThresholdSeconds must be a positive bucket bound, got ${t.latencyThresholdSeconds}`);
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(t.httpStatusLabel)) problems.push(`httpStatusLabel must be a label name, got ${t.httpStatusLabel}`);
  for (const f of ["httpRequestsMetric", "httpDurationMetric"] as const) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(t[f])) problems.push(`${f} must be a metric name, got ${t[f]}`);
  }
  t.burnRateWindows.forEach((w, i) => {
    for (const d of ["long", "short", "for"] as const) {
      try {
        durationSeconds(w[d]);
      } catch (e) {
        problems.push(`burnRateWindows[${i}].${d}: ${(e as Error).message}`);
      }
    }
    if (!(w.factor > 0)) problems.push(`burnRateWindows[${i}].factor must be positive, got ${w.factor}`);
  });
  try {
    durationSeconds(t.serviceDownFor);
  } catch (e) {
    problems.push(`serviceDownFor: ${(e as Error).message}`);
  }
  if (t.alertmanagerExpectedPeers !== undefined && !(Number.isInteger(t.alertmanagerExpectedPeers) && t.alertmanagerExpectedPeers >= 1)) {
    problems.push(`alertmanagerExpectedPeers must be a positive integer, got ${t.alertmanagerExpectedPeers}`);
  }
  return problems;
}

/**
 * What the stack deploys, as far as its rules care: a group about a part that is off is not
 * rendered (no Loki alerts without logs, no Kubernetes alerts on Docker). `deployedPartsOf`
 * (components/rules/config.ts) derives it from the stack config.
 */
export interface DeployedParts {
  readonly platform: "docker" | "kubernetes";
  /** The exporters deployed (kube-state-metrics only counts on Kubernetes). */
  readonly exporters: {
    readonly node: boolean;
    readonly cadvisor: boolean;
    readonly kubeStateMetrics: boolean;
    readonly postgres: boolean;
    readonly redis: boolean;
    readonly blackbox: boolean;
  };
  readonly alertmanager: boolean;
  /** More than one Alertmanager replica: only a gossip cluster exports its members. */
  readonly alertmanagerClustered: boolean;
  /** Loki and Alloy (`logs.backend: loki`). */
  readonly logs: boolean;
  /** OpenSearch and its log agent (`logs.backend: opensearch`). Absent: false. */
  readonly opensearch?: boolean;
  /** GlitchTip (`errorTracking.enabled`). Absent: false. */
  readonly errorTracking?: boolean;
  /** Scheduled backups (`backups.enabled`): how old the last success may get before BackupTooOld. Absent: off. */
  readonly backups?: { readonly staleAfterSeconds: number };
  /** The trace backend behind the collector; undefined when tracing is off. */
  readonly tracing?: "jaeger" | "tempo";
  /** A Grafana deployed (and scraped) by the stack; an existing Grafana is not scraped. */
  readonly grafana: boolean;
  /** Each kubelet's own `/metrics` (kubelet_volume_stats_*) is scraped, not only its cAdvisor. */
  readonly kubeletMetrics: boolean;
  /** The API server's `/metrics` is scraped (`kubernetes.flavor: self-managed`). */
  readonly controlPlane: boolean;
}

/** Every group, in file order, with the parts it needs; a group without `when` is always rendered. */
const GROUPS: readonly { build: (t: RuleThresholds, parts?: DeployedParts) => RuleGroup; when?: (p: DeployedParts) => boolean }[] = [
  { build: targetsGroup },
  { build: nodeGroup, when: (p) => p.exporters.node },
  // ContainerRestarting reads kube-state-metrics' restart counter on Kubernetes.
  { build: containersGroup, when: (p) => p.exporters.cadvisor || (p.platform === "kubernetes" && p.exporters.kubeStateMetrics) },
  { build: postgresGroup, when: (p) => p.exporters.postgres },
  { build: redisGroup, when: (p) => p.exporters.redis },
  { build: blackboxGroup, when: (p) => p.exporters.blackbox },
  { build: httpSloGroup },
  { build: httpRedGroup },
  { build: prometheusGroup },
  // Without Alertmanager its own alerts have nothing to watch.
  { build: alertmanagerGroup, when: (p) => p.alertmanager },
  { build: otelCollectorGroup, when: (p) => p.tracing !== undefined },
  { build: jaegerGroup, when: (p) => p.tracing === "jaeger" },
  { build: tempoGroup, when: (p) => p.tracing === "tempo" },
  { build: lokiGroup, when: (p) => p.logs },
  { build: alloyGroup, when: (p) => p.logs },
  { build: grafanaGroup, when: (p) => p.grafana },
  { build: opensearchGroup, when: (p) => p.opensearch === true },
  { build: errorTrackingGroup, when: (p) => p.errorTracking === true },
  { build: backupsGroup, when: (p) => p.backups !== undefined },
  { build: kubernetesGroup, when: (p) => p.platform === "kubernetes" && p.exporters.kubeStateMetrics },
  { build: kubernetesStorageGroup, when: (p) => p.platform === "kubernetes" && p.kubeletMetrics },
  // Only where the stack scrapes the control plane: a managed cluster gets no alert about what it cannot see.
  { build: kubernetesControlPlaneGroup, when: (p) => p.platform === "kubernetes" && p.controlPlane },
];

/**
 * The rule groups, structured, in file order: those of the parts deployed, every group when
 * `parts` is not given (the committed renders in rules/). Throws when a threshold is invalid.
 */
export function ruleGroups(t: RuleThresholds = defaultThresholds, parts?: DeployedParts): RuleGroup[] {
  const problems = thresholdProblems(t);
  if (problems.length > 0) throw new Error(`invalid rule thresholds: ${problems.join("; ")}`);
  return GROUPS.filter((g) => parts === undefined || g.when === undefined || g.when(parts)).map((g) => g.build(t, parts));
}

/** `{ "<group>.yml": text }`, one file per group (those of `parts`, or all); the same thresholds render the same bytes. */
export function renderRuleFiles(t: RuleThresholds = defaultThresholds, parts?: DeployedParts): Record<string, string> {
  const files: Record<string, string> = {};
  for (const group of ruleGroups(t, parts)) {
    const header = "# Generated by scripts/render-rules.ts from components/rules/rule-files.ts: edit those, not this file.\n";
    files[`${group.name}.yml`] = header + yaml.dump({ groups: [group] }, { sortKeys: false, lineWidth: -1, noRefs: true });
  }
  return files;
}

/** The distinct alert names, in rule order. */
export function alertNames(t: RuleThresholds = defaultThresholds): string[] {
  const names = new Set<string>();
  for (const g of ruleGroups(t)) for (const r of g.rules) if (isAlert(r)) names.add(r.alert);
  return [...names];
}
