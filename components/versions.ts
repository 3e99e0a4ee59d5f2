/**
 * Every image the stack runs, pinned to an exact version, in one place.
 *
 * Bumping a version here is the only way an image changes: on Docker it replaces the container
 * (its data lives in a named volume, so nothing is lost); on Kubernetes it rolls the pods.
 * No `latest`, no floating tags: a test asserts every image the stack declares is in this table.
 *
 * The tests run these exact releases: `npm run toolchain` builds each non-AGPL one from its Go
 * module at the version read from the tag here (scripts/toolchain/recipes.ts), and a test fails
 * when a built binary reports another version. Chosen on 2026-12-02:
 * - Prometheus: the newest 3.x release, not the 3.5 LTS: the rules and dashboards use nothing an
 *   LTS would keep stable for us, and the newest release is what the Kubernetes discovery and
 *   native-histogram fixes land in first. Moving to an LTS is one line here.
 * - postgres-exporter 0.19.1, redis_exporter 1.88.0, kube-state-metrics 2.20.0: the newest
 *   releases the Go module proxy serves in full (zip and checksum-database entry; the tests must run what
 *   we ship, so we ship what can be built, verified and tested).
 * - The collector 0.161.0: its tail_sampling processor does not resolve at newer releases from
 *   the module proxy; all collector components are kept at one release.
 * - The AGPL parts (Loki, Alloy, Tempo, Grafana) are never built here: the newest releases of
 *   their current major. Grafana stays on 12.x (13 is out) and Tempo on 2.x (3.0 replaced the
 *   ingester architecture our tempo.yaml renders): a major upgrade of a part we cannot run here
 *   is not made blind.
 */
export const images = {
  prometheus: "quay.io/prometheus/prometheus:v3.16.0",
  alertmanager: "quay.io/prometheus/alertmanager:v0.35.0",
  nodeExporter: "quay.io/prometheus/node-exporter:v1.12.1",
  blackboxExporter: "quay.io/prometheus/blackbox-exporter:v0.28.0",
  postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.19.1",
  // The -alpine variant: the default image is FROM scratch and has no shell for a healthcheck.
  redisExporter: "docker.io/oliver006/redis_exporter:v1.88.0-alpine",
  cadvisor: "gcr.io/cadvisor/cadvisor:v0.61.0",
  kubeStateMetrics: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
  // A read-only filter in front of the Docker socket: only GET /containers and /_ping pass.
  dockerSocketProxy: "docker.io/tecnativa/docker-socket-proxy:v0.3.0",
  // Logs: Loki in single-binary mode and Alloy (Promtail's successor; Promtail is end-of-life).
  loki: "docker.io/grafana/loki:3.7.8",
  alloy: "docker.io/grafana/alloy:v1.21.2",
  // Traces: the contrib collector (tail_sampling, spanmetrics, zipkin are contrib-only), then Jaeger v2 or Tempo.
  otelCollectorContrib: "docker.io/otel/opentelemetry-collector-contrib:0.161.0",
  jaeger: "docker.io/jaegertracing/jaeger:2.13.0",
  tempo: "docker.io/grafana/tempo:2.10.0",
  grafana: "docker.io/grafana/grafana:12.4.10",
} as const;

export type ImageName = keyof typeof images;

/** True when an image reference names an exact version (a tag that is not `latest`, or a digest). */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon < 0) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag !== "" && tag !== "latest" && /\d/.test(tag);
}
