import { z } from "zod";
import { durationSeconds } from "../metrics/prometheus-config";
import { describeFailure, validateLogQLRule } from "../shared/logql";
import { labels, port, resources, storageQuantity, strictObject, duration } from "../shared/config-primitives";

/**
 * The `observability:logs` part of the stack config: Loki and the Alloy agent. The lead wires
 * `logsSchema` into `stackConfigSchema` and `logsIssues` into the loader's cross-field checks.
 */

/** Loki's S3 credentials: secrets read with `getSecret`, required when `logs.storage.type` is `s3`. */
export const logsSecretKeys = {
  lokiS3AccessKeyId: "lokiS3AccessKeyId",
  lokiS3SecretAccessKey: "lokiS3SecretAccessKey",
} as const;

const logsResourceDefaults = {
  loki: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  alloy: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  // OpenSearch's JVM takes half the request as heap (OPENSEARCH_JAVA_OPTS); the rest is page cache for Lucene.
  opensearch: { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "2Gi" } },
  opensearchDashboards: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  logAgent: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
};

/** The logs backends: Loki (with the Alloy agent) or OpenSearch (with the collector as agent). */
export const LOGS_BACKENDS = ["loki", "opensearch"] as const;
export type LogsBackend = (typeof LOGS_BACKENDS)[number];

const positiveNumber = (example: string) =>
  z.number({ invalid_type_error: `must be a positive number (e.g. ${example})` }).positive(`must be a positive number (e.g. ${example})`);
const positiveInt = (example: string) => positiveNumber(example).int(`must be a whole number (e.g. ${example})`);

const severity = z.enum(["critical", "warning", "info"], {
  errorMap: (issue, ctx) => ({ message: issue.code === "invalid_enum_value" ? `"${ctx.data}" is not a severity (severities: critical, info, warning)` : "is required: critical, warning or info" }),
});

/** One Loki ruler alert: LogQL instead of PromQL, otherwise a Prometheus alerting rule. */
export const logRuleSchema = strictObject({
  /** Alert name, CamelCase by convention (`ApiErrorLogsBurst`). Required. */
  alert: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an alert name (letters, digits and _, e.g. ApiErrorLogsBurst)"),
  /** LogQL metric query; the alert fires for every series it returns. Checked with Loki's grammar. Required. */
  expr: z.string().min(1, "is required: a LogQL metric query"),
  /** How long the condition must hold before the alert fires. Default `5m`. */
  for: duration.default("5m"),
  /** `critical` pages, `warning` and `info` notify (see the alert routing). Default `warning`. */
  severity: severity.default("warning"),
  /** One line with the affected service; Go templates allowed (`{{ $labels.service }}`). Required. */
  summary: z.string().min(1, "is required"),
  /** What it means and what to do first. Required. */
  description: z.string().min(1, "is required"),
  /** Link to the runbook: every alert the stack sends carries one. Required. */
  runbookUrl: z.string().url("must be a URL (the alert's runbook)"),
  /** Extra labels on the alert. Default none. */
  labels: labels.default({}),
});

export const logsSchema = strictObject({
  /** Deploy the logs backend and its agent. Default true. */
  enabled: z.boolean().default(true),
  /**
   * Where logs are stored and searched: `loki` (Loki and the Alloy agent) or `opensearch` (OpenSearch
   * and OpenSearch Dashboards, fed by the OpenTelemetry Collector's filelog receiver). Default `loki`.
   */
  backend: z
    .enum(LOGS_BACKENDS, {
      errorMap: (issue, ctx) => ({ message: issue.code === "invalid_enum_value" ? `"${ctx.data}" is not a logs backend (backends: ${LOGS_BACKENDS.join(", ")})` : `must be one of ${LOGS_BACKENDS.join(", ")}` }),
    })
    .default("loki"),
  /**
   * How long logs are kept (`limits_config.retention_period`, applied by the compactor); whole days.
   * Default `14d`: two weeks covers an incident investigated after a weekend plus the week before it,
   * while staying twice the 7-day window in which Loki still accepts late lines.
   */
  retention: duration.default("14d"),
  storage: strictObject({
    /** `filesystem` (the persistent volume) or `s3` (any S3-compatible object store). Default `filesystem`. */
    type: z
      .enum(["filesystem", "s3"], {
        errorMap: (issue, ctx) => ({ message: issue.code === "invalid_enum_value" ? `"${ctx.data}" is not a storage type (types: filesystem, s3)` : "must be filesystem or s3" }),
      })
      .default("filesystem"),
    /** Size of Loki's volume (chunks when `filesystem`; index cache and WAL either way). Default `20Gi`. */
    size: storageQuantity.default("20Gi"),
    /** S3 bucket; required when `type` is `s3`. */
    bucket: z.string().min(1, "must not be empty").optional(),
    /** S3 endpoint (`s3.eu-west-1.amazonaws.com`, `minio:9000`). Default: AWS for `region`. */
    endpoint: z.string().min(1, "must not be empty").optional(),
    /** S3 region. Default `us-east-1`. */
    region: z.string().min(1, "must not be empty").optional(),
  }).default({}),
  limits: strictObject({
    /** Per-tenant ingestion rate in MB/s (`ingestion_rate_mb`). Default 4. */
    ingestionRateMb: positiveNumber("4").default(4),
    /** Burst above the rate in MB (`ingestion_burst_size_mb`). Default 8. */
    ingestionBurstMb: positiveNumber("8").default(8),
    /** Longest line in bytes; longer lines are truncated, not dropped (`max_line_size`). Default 262144 (256 KiB). */
    maxLineSize: positiveInt("262144").default(262144),
    /** Active streams per tenant: the guard against a high-cardinality label (`max_global_streams_per_user`). Default 5000. */
    maxStreamsPerUser: positiveInt("5000").default(5000),
    /** Lines older than this are rejected (`reject_old_samples_max_age`). Default `7d`. */
    rejectOldSamplesMaxAge: duration.default("7d"),
  }).default({}),
  /** Alerts evaluated by Loki's ruler on LogQL, sent to the stack's Alertmanager. Default none. */
  rules: z.array(logRuleSchema).default([]),
  /** Host port of Loki's HTTP API on Docker (Grafana and pushes from the host). Default 3100. */
  hostPort: port.default(3100),
  /** CPU and memory requests and limits of Loki. */
  resources: resources.default(logsResourceDefaults.loki),
  alloy: strictObject({
    /** Publish Alloy's UI/metrics port (12345) on the Docker host; unpublished by default. */
    hostPort: port.optional(),
    /** CPU and memory requests and limits of the agent (per node on Kubernetes). */
    resources: resources.default(logsResourceDefaults.alloy),
  }).default({}),
  /** The OpenSearch backend (`backend: opensearch`); `retention` applies to it through an ISM policy. */
  opensearch: strictObject({
    /** Size of OpenSearch's data volume. Default `20Gi`. */
    storageSize: storageQuantity.default("20Gi"),
    /** Host port of OpenSearch's REST API (HTTPS) on Docker. Default 9200. */
    hostPort: port.default(9200),
    /** CPU and memory requests and limits; the JVM heap is half the memory limit. */
    resources: resources.default(logsResourceDefaults.opensearch),
    dashboards: strictObject({
      /** Deploy OpenSearch Dashboards. Default true. */
      enabled: z.boolean().default(true),
      /** Host port of OpenSearch Dashboards on Docker. Default 5601. */
      hostPort: port.default(5601),
      /** CPU and memory requests and limits. */
      resources: resources.default(logsResourceDefaults.opensearchDashboards),
    }).default({}),
    agent: strictObject({
      /** CPU and memory requests and limits of the log agent (the collector's filelog receiver; per node on Kubernetes). */
      resources: resources.default(logsResourceDefaults.logAgent),
    }).default({}),
  }).default({}),
});

export type LogsConfig = z.infer<typeof logsSchema>;
export type LogRule = z.infer<typeof logRuleSchema>;

/** A config problem: path under the config namespace, and the message (as `load.ts` formats them). */
export type ConfigIssue = [(string | number)[], string];

/**
 * Checks the rules that span fields of `logs`: object storage needs a bucket and credentials, retention must
 * outlast the ingestion window and be whole days, ruler rules must be valid LogQL metric queries.
 *
 * @param presentSecrets names of the secrets the stack was given (see `logsSecretKeys`).
 */
export function logsIssues(logs: LogsConfig, presentSecrets: ReadonlySet<string>): ConfigIssue[] {
  if (!logs.enabled) return [];
  const issues: ConfigIssue[] = [];
  if (logs.backend === "opensearch") {
    // Loki-only settings would be silently ignored: say so instead.
    if (logs.storage.type === "s3") issues.push([["logs", "storage", "type"], "s3 is Loki's object storage; with logs.backend opensearch logs live on OpenSearch's volume (logs.opensearch.storageSize): remove logs.storage.type or use backend loki"]);
    if (logs.rules.length > 0) issues.push([["logs", "rules"], "are LogQL rules evaluated by Loki's ruler; logs.backend opensearch has no ruler: remove them or use backend loki"]);
    const retention = durationSeconds(logs.retention);
    if (retention % 86400 !== 0) issues.push([["logs", "retention"], `"${logs.retention}" is not a whole number of days: OpenSearch keeps one index per day and its ISM policy deletes whole indices (e.g. 14d, 336h)`]);
    return issues;
  }
  if (logs.storage.type === "s3") {
    if (!logs.storage.bucket) issues.push([["logs", "storage", "bucket"], "is required when logs.storage.type is s3"]);
    const hints = { lokiS3AccessKeyId: "<access key id>", lokiS3SecretAccessKey: "<secret access key>" };
    for (const key of Object.values(logsSecretKeys)) {
      if (!presentSecrets.has(key)) issues.push([[key], `is required when logs.storage.type is s3: pulumi config set --secret ${key} '${hints[key]}'`]);
    }
  }
  const retention = durationSeconds(logs.retention);
  const maxAge = durationSeconds(logs.limits.rejectOldSamplesMaxAge);
  if (retention % 86400 !== 0) {
    issues.push([["logs", "retention"], `"${logs.retention}" is not a whole number of days: Loki's index has one table per day and the compactor deletes whole days (e.g. 14d, 336h)`]);
  } else if (retention < maxAge) {
    issues.push([
      ["logs", "retention"],
      `${logs.retention} is shorter than logs.limits.rejectOldSamplesMaxAge (${logs.limits.rejectOldSamplesMaxAge}): Loki would accept lines older than it keeps, and the compactor would delete them right after ingestion; raise the retention or lower rejectOldSamplesMaxAge`,
    ]);
  }
  logs.rules.forEach((rule, i) => {
    const result = validateLogQLRule(rule.expr);
    if (!result.ok) issues.push([["logs", "rules", i, "expr"], `is not a valid LogQL rule ${describeFailure(result)}`]);
  });
  const names = new Map<string, number>();
  logs.rules.forEach((rule, i) => {
    if (names.has(rule.alert)) issues.push([["logs", "rules", i, "alert"], `"${rule.alert}" is already the alert of logs.rules[${names.get(rule.alert)}]; alert names must be unique`]);
    else names.set(rule.alert, i);
  });
  return issues;
}

export const logsDefaults = { resources: logsResourceDefaults };
