/**
 * Grafana Alloy's configuration, built as a small structured model (blocks, labels, attributes)
 * and printed in Alloy syntax. Tests assert the model; the printer makes the text deterministic.
 * Pure: no Pulumi.
 */

/** A reference to another component's export (`discovery.docker.containers.targets`), printed bare. */
import { DOCKER_SERVICE_SOURCES, KUBERNETES_SERVICE_SOURCES, serviceFrom } from "../metrics/prometheus-config";

export class AlloyRef {
  constructor(public readonly expr: string) {}
}
export const ref = (expr: string): AlloyRef => new AlloyRef(expr);

export type AlloyValue = string | number | boolean | AlloyRef | AlloyValue[] | { [key: string]: AlloyValue };

/** One Alloy block: `name "label" { attributes... blocks... }`. Attributes print in insertion order. */
export interface AlloyBlock {
  name: string;
  label?: string;
  attrs?: Record<string, AlloyValue>;
  blocks?: AlloyBlock[];
}

export const ALLOY_HTTP_PORT = 12345;
export const ALLOY_CONFIG_PATH = "/etc/alloy/config.alloy";
/** Read positions live here: on a volume, so a restart resumes instead of re-sending. */
export const ALLOY_STORAGE_PATH = "/var/lib/alloy/data";
/** Container logs as the kubelet writes them (CRI format), read-only from the host. */
export const KUBERNETES_POD_LOGS = "/var/log/pods";

/** Where logs come from: the Docker API (through the read-only socket proxy), or the node's pod log files. */
export type AlloyLogSource = { kind: "docker"; host: string } | { kind: "kubernetes"; namespaces?: string[] };

export interface AlloyOptions {
  source: AlloyLogSource;
  /** Loki's push endpoint, `http://loki:3100/loki/api/v1/push`. */
  lokiPushUrl: string;
}

/** The JSON fields the teams log (seeds: timestamp, level, message, service, request id) and their common aliases. */
export const JSON_FIELDS: Record<string, string> = {
  timestamp: "timestamp || time || ts",
  level: "level || severity",
  message: "message || msg",
  service: "service",
  trace_id: "trace_id || traceId",
  request_id: "request_id || requestId",
};

/** Fields that become stream labels: low cardinality only. `service` is one because traces → logs selects on it. */
export const LABEL_FIELDS = ["level", "service"] as const;
/** Per-line identifiers: structured metadata (queryable, linkable), never labels (one stream per request). */
export const METADATA_FIELDS = ["trace_id", "request_id"] as const;

const rule = (attrs: Record<string, AlloyValue>): AlloyBlock => ({ name: "rule", attrs });

function dockerSource(source: { host: string }): AlloyBlock[] {
  return [
    // The host is the socket proxy (GET /containers/* only): Alloy never holds the Docker socket.
    { name: "discovery.docker", label: "containers", attrs: { host: source.host, refresh_interval: "10s" } },
    {
      // Applied per line by loki.source.docker: the stream (stdout/stderr) is only known there.
      name: "discovery.relabel",
      label: "containers",
      attrs: { targets: [] },
      blocks: [
        rule({ source_labels: ["__meta_docker_container_name"], regex: "/(.*)", target_label: "container" }),
        rule({ source_labels: ["__meta_docker_container_label_com_docker_compose_service"], target_label: "compose_service" }),
        rule({ source_labels: ["__meta_docker_container_log_stream"], target_label: "stream" }),
        // Default `service` for lines that do not name one: as Prometheus names the container's service.
        ...serviceFrom(DOCKER_SERVICE_SOURCES).map(rule),
      ],
    },
    {
      name: "loki.source.docker",
      label: "containers",
      attrs: {
        host: source.host,
        targets: ref("discovery.docker.containers.targets"),
        relabel_rules: ref("discovery.relabel.containers.rules"),
        forward_to: [ref("loki.process.json.receiver")],
      },
    },
  ];
}

function kubernetesSource(source: { namespaces?: string[] }): AlloyBlock[] {
  const namespaces = source.namespaces && source.namespaces.length > 0 ? [{ name: "namespaces", attrs: { names: [...source.namespaces].sort() } }] : [];
  return [
    // Every agent sees every pod; only the files present on its own node match below, so no node filter is needed.
    { name: "discovery.kubernetes", label: "pods", attrs: { role: "pod" }, blocks: namespaces },
    {
      name: "discovery.relabel",
      label: "pods",
      attrs: { targets: ref("discovery.kubernetes.pods.targets") },
      blocks: [
        rule({ source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" }),
        rule({ source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" }),
        rule({ source_labels: ["__meta_kubernetes_pod_container_name"], target_label: "container" }),
        // app.kubernetes.io/name, else the older `app` label.
        rule({ source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app"], separator: ";", regex: ";*([^;]+).*", target_label: "app" }),
        // Default `service` for lines that do not name one: as Prometheus names the pod's service.
        ...serviceFrom(KUBERNETES_SERVICE_SOURCES).map(rule),
        rule({ source_labels: ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"], separator: "/", target_label: "__path__", replacement: `${KUBERNETES_POD_LOGS}/*$1/*.log` }),
      ],
    },
    { name: "local.file_match", label: "pods", attrs: { path_targets: ref("discovery.relabel.pods.output") } },
    { name: "loki.source.file", label: "pods", attrs: { targets: ref("local.file_match.pods.targets"), forward_to: [ref("loki.process.cri.receiver")] } },
    // The kubelet's files are CRI lines (`<time> <stream> <F|P> <line>`): unwrap them, then parse JSON.
    { name: "loki.process", label: "cri", attrs: { forward_to: [ref("loki.process.json.receiver")] }, blocks: [{ name: "stage.cri" }] },
  ];
}

/** The shared pipeline: JSON fields → timestamp, a lower-case `level` label, ids as structured metadata. */
function jsonPipeline(lokiPushUrl: string): AlloyBlock[] {
  const empty = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, ""]));
  return [
    {
      name: "loki.process",
      label: "json",
      attrs: { forward_to: [ref("loki.write.loki.receiver")] },
      blocks: [
        // Lines that are not JSON pass through unchanged: this stage only extracts.
        { name: "stage.json", attrs: { expressions: { ...JSON_FIELDS } } },
        // `INFO`, `Info` and `info` are one level, not three streams; an absent level stays absent (no empty label).
        { name: "stage.template", attrs: { source: "level", template: "{{ if .Value }}{{ ToLower .Value }}{{ end }}" } },
        { name: "stage.timestamp", attrs: { source: "timestamp", format: "RFC3339Nano", action_on_failure: "skip" } },
        { name: "stage.labels", attrs: { values: empty(LABEL_FIELDS) } },
        { name: "stage.structured_metadata", attrs: { values: empty(METADATA_FIELDS) } },
      ],
    },
    { name: "loki.write", label: "loki", blocks: [{ name: "endpoint", attrs: { url: lokiPushUrl } }] },
  ];
}

/** The whole agent config as a model. */
export function alloyModel(opts: AlloyOptions): AlloyBlock[] {
  return [
    { name: "logging", attrs: { level: "info", format: "logfmt" } },
    ...(opts.source.kind === "docker" ? dockerSource(opts.source) : kubernetesSource(opts.source)),
    ...jsonPipeline(opts.lokiPushUrl),
  ];
}

/** Prints blocks in Alloy syntax, two-space indented. */
export function renderAlloy(blocks: AlloyBlock[]): string {
  return "// Rendered by pulumi-observability (components/logs/alloy-config.ts); edits are overwritten.\n\n" + blocks.map((b) => printBlock(b, 0)).join("\n\n") + "\n";
}

export function renderAlloyConfig(opts: AlloyOptions): string {
  return renderAlloy(alloyModel(opts));
}

function printBlock(block: AlloyBlock, depth: number): string {
  const pad = "  ".repeat(depth);
  const head = `${pad}${block.name}${block.label !== undefined ? ` ${JSON.stringify(block.label)}` : ""} {`;
  const attrs = Object.entries(block.attrs ?? {});
  const children = block.blocks ?? [];
  if (attrs.length === 0 && children.length === 0) return `${head}}`;
  const width = Math.max(0, ...attrs.map(([k]) => k.length));
  const lines = [
    ...attrs.map(([k, v]) => `${pad}  ${k.padEnd(width)} = ${printValue(v, depth + 1)}`),
    ...children.map((c) => printBlock(c, depth + 1)),
  ];
  return `${head}\n${lines.join("\n")}\n${pad}}`;
}

function printValue(value: AlloyValue, depth: number): string {
  if (value instanceof AlloyRef) return value.expr;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => printValue(v, depth)).join(", ")}]`;
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const pad = "  ".repeat(depth);
  const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k));
  const width = Math.max(...entries.map(([k]) => key(k).length));
  return `{\n${entries.map(([k, v]) => `${pad}  ${key(k).padEnd(width)} = ${printValue(v, depth + 1)},`).join("\n")}\n${pad}}`;
}
