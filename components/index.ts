/**
 * pulumi-observability as a library: the whole observability stack (`ObservabilityStack`), or its
 * parts (`PrometheusStack`, `AlertRouting`, `LokiStack`, `TracingStack`, `GrafanaStack`) on a
 * platform you construct yourself (`DockerPlatform`, `KubernetesPlatform`).
 *
 * ```ts
 * import { ObservabilityStack } from "pulumi-observability";
 * const stack = new ObservabilityStack("observability", { config: { platform: "docker" } });
 * export const urls = stack.urls;
 * ```
 *
 * Config is validated before any resource is registered: `parseStackConfig` (pure) and
 * `readStackConfig` (from `pulumi.Config`) throw a `ConfigError` naming every bad path. The
 * renderers below are pure functions (options in, file text out) for users who run the upstream
 * tools themselves. Every key is documented in docs/config-reference.md.
 *
 * This module is the package entry (`main`/`exports` point at its build). The Pulumi program
 * `index.ts` at the repository root is not part of the package.
 */

// Components
export { ObservabilityStack } from "./observability";
export type { ObservabilityStackArgs } from "./observability";
export { PrometheusStack } from "./prometheus";
export type { PrometheusStackArgs } from "./prometheus";
export { AlertRouting } from "./alerting";
export type { AlertRoutingArgs } from "./alerting";
export { LokiStack } from "./loki";
export type { LokiStackArgs } from "./loki";
export { TracingStack } from "./tracing";
export type { TracingStackArgs } from "./tracing";
export { GrafanaStack } from "./grafana";
export type { GrafanaStackArgs } from "./grafana";

// Platforms
export { DockerPlatform } from "./platform/docker";
export type { DockerPlatformArgs } from "./platform/docker";
export { KubernetesPlatform } from "./platform/kubernetes";
export type { KubernetesPlatformArgs } from "./platform/kubernetes";
export type {
  Platform,
  PlatformCapabilities,
  WorkloadSpec,
  DeployedWorkload,
  ScrapeEndpoint,
  ConfigFile,
  PortSpec,
  VolumeSpec,
  ProbeSpec,
  ResourceSpec,
  HostAccess,
} from "./platform/types";

// Config: one schema, validated at the edge
export { stackConfigSchema, secretKeys } from "./config/schema";
export type { StackConfig, StackConfigInput } from "./config/schema";
export { parseStackConfig, readStackConfig, ConfigError, CONFIG_NAMESPACE } from "./config/load";
export type { StackSecrets } from "./config/load";
export { alertingSchema, parseAlerting, validateAlerting, requiredSecretKeys, exampleAlerting, AlertingConfigError } from "./config/alerting";
export type { AlertingConfig, AlertingConfigInput } from "./config/alerting";
export { logsSchema } from "./config/logs";
export type { LogsConfig } from "./config/logs";
export { tracingSchema } from "./config/tracing";
export type { TracingConfig } from "./config/tracing";
export { rulesSchema } from "./config/rules";
export type { RulesConfig } from "./config/rules";
export { jobNames } from "./config/jobs";

// Pure renderers: options in, the upstream tool's file text out
export { renderPrometheusConfig } from "./render/prometheus";
export type { PrometheusRenderOptions, ScrapeJob } from "./render/prometheus-types";
export { renderRuleFiles, defaultThresholds } from "./render/rules";
export type { RuleThresholds } from "./render/rule-types";
export { renderCustomRules } from "./render/custom-rules";
export { renderAlertmanagerConfig, renderGrafanaContactPoints, renderGrafanaPolicy, renderGrafanaMuteTimings } from "./render/alertmanager";
export { renderBlackboxConfig } from "./render/blackbox";
export { renderLokiConfig, renderLokiRules } from "./render/loki";
export { renderAlloyConfig } from "./render/alloy";
export { renderCollectorConfig } from "./render/otelcol";
export { renderJaegerConfig } from "./render/jaeger";
export { renderTempoConfig } from "./render/tempo";

// Pinned images
export { images } from "./versions";
