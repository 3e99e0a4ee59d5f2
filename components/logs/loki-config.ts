import * as yaml from "js-yaml";

/** Where Loki keeps everything it writes: the persistent volume. */
export const LOKI_DATA_DIR = "/loki";
/** Where the ruler's rule files are mounted (read-only), one folder per tenant. */
export const LOKI_RULES_DIR = "/etc/loki/rules";
/**
 * The tenant of a single-tenant Loki (`auth_enabled: false`): Loki stores everything under `fake`,
 * so the ruler reads `${LOKI_RULES_DIR}/fake/*.yml`.
 */
export const LOKI_TENANT = "fake";
export const LOKI_HTTP_PORT = 3100;
export const LOKI_GRPC_PORT = 9095;

/** Loki's S3 keys, in the file itself: Loki has no option that reads them from a file of their own. */
export interface LokiS3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Everything `renderLokiConfig` needs: plain data, no Pulumi. */
export interface LokiRenderOptions {
  /** Retention, a Prometheus-style duration of whole days (`14d`). */
  retention: string;
  /**
   * `filesystem` on `LOKI_DATA_DIR`, or an S3-compatible bucket. S3 `credentials` are written into
   * the file when given (the file is then a secret); without them the file names no key.
   */
  storage: { type: "filesystem" } | { type: "s3"; bucket: string; endpoint?: string; region?: string; credentials?: LokiS3Credentials };
  limits: { ingestionRateMb: number; ingestionBurstMb: number; maxLineSize: number; maxStreamsPerUser: number; rejectOldSamplesMaxAge: string };
  /** The stack's Alertmanager (`http://alertmanager:9093`); no ruler notifications when absent. */
  alertmanagerUrl?: string;
}

/** A Prometheus-style duration (`14d`, `1w`) in hours, which every Loki version accepts. */
export function toHours(value: string): string {
  const units: Record<string, number> = { y: 8760, w: 168, d: 24, h: 1 };
  let hours = 0;
  let rest = value;
  for (const [whole, n, unit] of value.matchAll(/(\d+)(y|w|d|h)(?!s)/g)) {
    hours += Number(n) * units[unit];
    rest = rest.replace(whole, "");
  }
  // Sub-hour parts are kept as they are: Go durations accept `168h30m`.
  return `${hours}h${rest}`.replace(/^0h(?=.)/, "");
}

const HEADER = `# Rendered by pulumi-observability (components/logs/loki-config.ts); edits are overwritten.
# auth_enabled is false on purpose: this Loki is single-tenant (tenant "fake") and reachable only
# from the stack's own network (a NetworkPolicy on Kubernetes, a private Docker network with the
# host port bound to 127.0.0.1). Multi-tenancy would need an authenticating proxy in front anyway.
`;

/**
 * Renders loki.yaml for the single binary (all targets in one process). Pure: the same options
 * give the same bytes. S3 credentials are in the file when the options carry them, so the caller
 * delivers that text as a secret file; Loki runs without `-config.expand-env`, so a `$` in a key is
 * taken as it is.
 */
export function renderLokiConfig(opts: LokiRenderOptions): string {
  const objectStore = opts.storage.type === "s3" ? "s3" : "filesystem";
  const config = {
    auth_enabled: false,
    server: { http_listen_port: LOKI_HTTP_PORT, grpc_listen_port: LOKI_GRPC_PORT, log_level: "info" },
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: LOKI_DATA_DIR,
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
      storage: opts.storage.type === "s3" ? { s3: s3Storage(opts.storage) } : { filesystem: { chunks_directory: `${LOKI_DATA_DIR}/chunks`, rules_directory: `${LOKI_DATA_DIR}/rules` } },
    },
    schema_config: {
      // One period, from a fixed past date: changing `from` or `schema` later needs a new entry, never an edit.
      configs: [{ from: "2024-01-01", store: "tsdb", object_store: objectStore, schema: "v13", index: { prefix: "index_", period: "24h" } }],
    },
    storage_config: {
      tsdb_shipper: { active_index_directory: `${LOKI_DATA_DIR}/tsdb-index`, cache_location: `${LOKI_DATA_DIR}/tsdb-cache` },
    },
    ingester: {
      // The WAL on the volume: a restart replays what had not been flushed yet.
      wal: { enabled: true, dir: `${LOKI_DATA_DIR}/wal` },
    },
    // Retention is the compactor's job: without retention_enabled the retention_period does nothing.
    compactor: {
      working_directory: `${LOKI_DATA_DIR}/compactor`,
      compaction_interval: "10m",
      retention_enabled: true,
      retention_delete_delay: "2h",
      retention_delete_worker_count: 150,
      delete_request_store: objectStore,
    },
    limits_config: {
      retention_period: toHours(opts.retention),
      ingestion_rate_mb: opts.limits.ingestionRateMb,
      ingestion_burst_size_mb: opts.limits.ingestionBurstMb,
      max_line_size: opts.limits.maxLineSize,
      // A runaway line is cut, not lost.
      max_line_size_truncate: true,
      max_global_streams_per_user: opts.limits.maxStreamsPerUser,
      reject_old_samples: true,
      reject_old_samples_max_age: toHours(opts.limits.rejectOldSamplesMaxAge),
      // trace_id and request_id travel as structured metadata, never as labels.
      allow_structured_metadata: true,
      volume_enabled: true,
      max_query_lookback: toHours(opts.retention),
    },
    ruler: {
      ...(opts.alertmanagerUrl ? { alertmanager_url: opts.alertmanagerUrl } : {}),
      enable_api: true,
      storage: { type: "local", local: { directory: LOKI_RULES_DIR } },
      rule_path: `${LOKI_DATA_DIR}/rules-temp`,
      ring: { kvstore: { store: "inmemory" } },
    },
    analytics: { reporting_enabled: false },
  };
  return HEADER + yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

function s3Storage(storage: { bucket: string; endpoint?: string; region?: string; credentials?: LokiS3Credentials }): Record<string, unknown> {
  return {
    bucketnames: storage.bucket,
    region: storage.region ?? "us-east-1",
    ...(storage.endpoint ? { endpoint: storage.endpoint, s3forcepathstyle: true } : {}),
    ...(storage.credentials ? { access_key_id: storage.credentials.accessKeyId, secret_access_key: storage.credentials.secretAccessKey } : {}),
  };
}

/** A Loki ruler alert, as in the config (`logs.rules[]`). */
export interface LokiAlertRule {
  alert: string;
  expr: string;
  for: string;
  severity: string;
  summary: string;
  description: string;
  /** Where the responder reads what to do: every alert carries a runbook. */
  runbookUrl: string;
  labels?: Record<string, string>;
}

/**
 * Renders the ruler's rule file (Prometheus rule-group format with LogQL expressions). The
 * expressions must have been validated (`validateLogQLRule`); this function only lays them out.
 */
export function renderLokiRules(rules: LokiAlertRule[], groupName = "stack-log-alerts"): string {
  const doc = {
    groups: [
      {
        name: groupName,
        interval: "1m",
        rules: rules.map((r) => ({
          alert: r.alert,
          expr: r.expr,
          for: r.for,
          labels: { ...sorted(r.labels ?? {}), severity: r.severity },
          annotations: { summary: r.summary, description: r.description, runbook_url: r.runbookUrl },
        })),
      },
    ],
  };
  return yaml.dump(doc, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]]));
}
