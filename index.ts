import { readStackConfig } from "./components/stack/config-loader";
import { ObservabilityStack } from "./components/stack/observability-stack";

// The Pulumi program: `pulumi up --stack dev` (Docker) or `--stack prod` (Kubernetes).
// Config is read and validated here, at the edge; an invalid config stops before any resource.
const { config, secrets } = readStackConfig();
const stack = new ObservabilityStack("observability", { config, secrets });

/** Every URL a user opens: prometheus, alertmanager, grafana, loki, jaeger|tempo. */
export const urls = stack.urls;
/** Where applications send telemetry: OTLP gRPC and HTTP, the Loki push API. */
export const endpoints = stack.endpoints;
export const prometheusUrl = stack.prometheus.url;
/** Grafana's admin password (a secret: `pulumi stack output grafanaAdminPassword --show-secrets`). */
export const grafanaAdminPassword = stack.grafana?.adminPassword;
export const opensearchAdminPassword = stack.opensearch?.adminPassword;
export const glitchtipAdminPassword = stack.errorTracking?.adminPassword;
