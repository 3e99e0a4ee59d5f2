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
  // Logs, the OpenSearch backend (`logs.backend: opensearch`). 3.4.0, not the newest 3.x: it is the
  // newest release whose security plugin Maven Central serves beside its server jars, so the tests
  // run a real node of exactly this release with exactly this security plugin. Dashboards must match.
  opensearch: "docker.io/opensearchproject/opensearch:3.4.0",
  opensearchDashboards: "docker.io/opensearchproject/opensearch-dashboards:3.4.0",
  // Error tracking (GlitchTip, MIT): 6.x is the last major with separate web and worker processes.
  glitchtip: "docker.io/glitchtip/glitchtip:6.1.6",
  glitchtipPostgres: "docker.io/library/postgres:17.7-alpine",
  glitchtipValkey: "docker.io/valkey/valkey:8.1.4-alpine",
  // Backups: rclone (MIT) copies to a volume or any S3 store; its alpine base has sh, wget and tar.
  rclone: "docker.io/rclone/rclone:1.76.0",
} as const;

export type ImageName = keyof typeof images;

/** The tag of an image reference, e.g. `v3.16.0` of `quay.io/prometheus/prometheus:v3.16.0`. */
export function imageTag(image: string): string {
  const last = image.slice(image.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  if (colon < 0) throw new Error(`image ${image} has no tag`);
  return last.slice(colon + 1);
}

/** True when an image reference names an exact version (a tag that is not `latest`, or a digest). */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon < 0) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag !== "" && tag !== "latest" && /\d/.test(tag);
}

/** Where the stack's images come from, for air-gapped users (`images` in the config). */
export interface ImageSource {
  /**
   * A registry (mirror) that replaces each image's registry host, as kube-prometheus-stack's
   * `global.imageRegistry` does: `quay.io/prometheus/prometheus:v3.16.0` with
   * `mirror.example.com/cache` becomes `mirror.example.com/cache/prometheus/prometheus:v3.16.0`.
   */
  registry?: string;
  /** Whole image references by image name, each pinned; they win over `registry`. */
  overrides?: Partial<Record<ImageName, string>>;
}

/** A registry as `images.registry` takes it: a host (with an optional port) and an optional path, no scheme, no tag. */
export const REGISTRY_PATTERN = /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+|\[[0-9a-f:]+\])(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** The image reference without its registry host: `quay.io/prometheus/prometheus:v3.16.0` -> `prometheus/prometheus:v3.16.0`. */
export function withoutRegistry(image: string): string {
  const slash = image.indexOf("/");
  if (slash < 0) return image;
  const first = image.slice(0, slash);
  // Docker's own rule: the first segment is a registry when it has a dot or a port, or is localhost.
  return first.includes(".") || first.includes(":") || first === "localhost" ? image.slice(slash + 1) : image;
}

/**
 * The image a workload runs, given where images come from. Pure; an image that is not one of the
 * stack's (`images`) only gets the registry. Every result is pinned when its input is.
 */
export function resolveImage(image: string, source: ImageSource = {}): string {
  const name = (Object.keys(images) as ImageName[]).find((n) => images[n] === image);
  const override = name !== undefined ? source.overrides?.[name] : undefined;
  if (override !== undefined) return override;
  return source.registry ? `${source.registry.replace(/\/+$/, "")}/${withoutRegistry(image)}` : image;
}
