/**
 * Scrape job names of everything the stack deploys: the `job` label of their series, which the
 * rules and dashboards select on. User jobs may not reuse them.
 */
export const jobNames = {
  prometheus: "prometheus",
  node: "node-exporter",
  cadvisor: "cadvisor",
  kubelet: "kubelet",
  apiserver: "apiserver",
  kubeStateMetrics: "kube-state-metrics",
  postgres: "postgres-exporter",
  redis: "redis-exporter",
  blackbox: "blackbox-exporter",
  probeHttp: "blackbox-http",
  probeTcp: "blackbox-tcp",
  discovered: "discovered",
  dockerSocketProxy: "docker-socket-proxy",
  alertmanager: "alertmanager",
  loki: "loki",
  alloy: "alloy",
  otelCollector: "otel-collector",
  spanmetrics: "spanmetrics",
  jaeger: "jaeger",
  tempo: "tempo",
  grafana: "grafana",
  glitchtip: "glitchtip",
  opensearch: "opensearch",
  logAgent: "log-agent",
  backups: "backups",
} as const;

export const reservedJobNames: ReadonlySet<string> = new Set(Object.values(jobNames));
