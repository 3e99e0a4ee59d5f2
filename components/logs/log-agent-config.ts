import * as yaml from "js-yaml";
import { OTELCOL_PORTS } from "../tracing/collector-config";

/**
 * The log agent of the OpenSearch backend: the OpenTelemetry Collector (contrib) with its filelog
 * receiver, which tails the container runtime's log files, parses JSON lines into the same
 * structured fields Alloy gives Loki (level, service, trace id), and writes them to OpenSearch
 * with the opensearch exporter. Pure.
 */

/** The collector's own telemetry and health_check ports (the same image as the tracing pillar's). */
export const LOG_AGENT_PORTS = { telemetry: OTELCOL_PORTS.telemetry, health: OTELCOL_PORTS.health } as const;
export const LOG_AGENT_CONFIG_PATH = "/etc/otelcol-contrib/log-agent.yaml";
/** The `logs-writer` user's password: a secret file, read by the collector's `${file:...}` provider. */
export const LOG_AGENT_PASSWORD_PATH = "/etc/otelcol-contrib/opensearch-password";
/** The CA that signed OpenSearch's certificate. */
export const LOG_AGENT_CA_PATH = "/etc/otelcol-contrib/opensearch-ca.pem";

/** Where the runtime writes container logs, and their format. */
export type LogFiles =
  /** Docker's json-file driver: `/var/lib/docker/containers/<id>/<id>-json.log`. */
  | { kind: "docker"; root: string }
  /** The kubelet's CRI files: `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log`. */
  | { kind: "kubernetes"; root: string; /** The agent's own namespace, whose pods' logs are not read (no feedback loop). */ ownNamespace: string };

export interface LogAgentRenderOptions {
  files: LogFiles;
  /** `https://opensearch:9200`. */
  opensearchUrl: string;
  /** The OpenSearch user that may only write the log indices. */
  username: string;
  /** Index name prefix; the exporter appends the day (`<prefix>-yyyy.MM.dd`). */
  indexPrefix: string;
  /** Read positions and the export queue: on a volume (Docker) or the pod's /tmp (Kubernetes). */
  storageDir: string;
}

/** Lines written in JSON by an application: `{"level":"error","msg":...,"trace_id":...}`. */
const JSON_LINE = 'body matches "^\\\\s*\\\\{"';

export function renderLogAgentConfig(opts: LogAgentRenderOptions): string {
  const { files } = opts;
  const include = files.kind === "docker" ? [`${files.root}/*/*-json.log`] : [`${files.root}/*/*/*.log`];
  const exclude = files.kind === "kubernetes" ? [`${files.root}/${files.ownNamespace}_*/*/*.log`] : [];
  const operators: Record<string, unknown>[] = [
    // Docker's JSON lines, or CRI-O/containerd's; on Kubernetes the path names namespace, pod and container.
    { type: "container", id: "container", format: files.kind === "docker" ? "docker" : undefined, add_metadata_from_filepath: files.kind === "kubernetes" },
    { type: "json_parser", id: "app-json", if: JSON_LINE, parse_from: "body", parse_to: "attributes", on_error: "send_quiet" },
    {
      type: "severity_parser",
      id: "level",
      if: 'attributes.level != nil',
      parse_from: "attributes.level",
      on_error: "send_quiet",
    },
    {
      type: "trace_parser",
      id: "trace",
      if: 'attributes.trace_id != nil',
      trace_id: { parse_from: "attributes.trace_id" },
      span_id: { parse_from: "attributes.span_id" },
      on_error: "send_quiet",
    },
  ].map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));

  const serviceStatements = [
    // The service the line names wins; then the Kubernetes container, then Docker's container id.
    'set(resource.attributes["service.name"], attributes["service"]) where attributes["service"] != nil',
    ...(files.kind === "kubernetes"
      ? ['set(resource.attributes["service.name"], resource.attributes["k8s.container.name"]) where resource.attributes["service.name"] == nil']
      : ['set(resource.attributes["container.id"], ExtractPatterns(attributes["log.file.path"], "containers/(?P<id>[0-9a-f]+)/")["id"]) where attributes["log.file.path"] != nil',
         'set(resource.attributes["service.name"], resource.attributes["container.id"]) where resource.attributes["service.name"] == nil']),
  ];

  const config = {
    extensions: {
      health_check: { endpoint: `0.0.0.0:${LOG_AGENT_PORTS.health}` },
      file_storage: { directory: opts.storageDir, create_directory: true },
      "basicauth/opensearch": { client_auth: { username: opts.username, password: `\${file:${LOG_AGENT_PASSWORD_PATH}}` } },
    },
    receivers: {
      filelog: {
        include,
        exclude,
        // From the start of each file the first time; after that from the stored offsets.
        start_at: "beginning",
        include_file_path: true,
        storage: "file_storage",
        operators,
      },
    },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      "transform/service": { error_mode: "ignore", log_statements: [{ context: "log", statements: serviceStatements }] },
      batch: { send_batch_size: 1000, timeout: "5s" },
    },
    exporters: {
      opensearch: {
        http: {
          endpoint: opts.opensearchUrl,
          auth: { authenticator: "basicauth/opensearch" },
          tls: { ca_file: LOG_AGENT_CA_PATH, insecure: false },
        },
        logs_index: opts.indexPrefix,
        logs_index_time_format: "yyyy.MM.dd",
        // A queue on disk: logs read while OpenSearch is down are sent when it is back.
        sending_queue: { enabled: true, storage: "file_storage", queue_size: 5000 },
        retry_on_failure: { enabled: true, initial_interval: "5s", max_interval: "1m", max_elapsed_time: "0s" },
      },
    },
    service: {
      extensions: ["health_check", "file_storage", "basicauth/opensearch"],
      telemetry: {
        logs: { level: "info" },
        metrics: { level: "normal", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: LOG_AGENT_PORTS.telemetry } } } }] },
      },
      pipelines: {
        logs: { receivers: ["filelog"], processors: ["memory_limiter", "transform/service", "batch"], exporters: ["opensearch"] },
      },
    },
  };
  return yaml.dump(config, { lineWidth: -1, noRefs: true, sortKeys: false });
}
