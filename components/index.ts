/**
 * pulumi-observability as a library: the whole observability stack (`ObservabilityStack`), or its
 * parts (`PrometheusStack`, `AlertRouting`, `LokiStack` or `OpenSearchStack`, `TracingStack`,
 * `GrafanaStack`, `ErrorTracking`, `Backups`) on a
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
export { ObservabilityStack } from "./stack/observability-stack";
export type { ObservabilityStackArgs } from "./stack/observability-stack";
export { PrometheusStack } from "./metrics/prometheus-stack";
export type { PrometheusStackArgs } from "./metrics/prometheus-stack";
export { AlertRouting } from "./alerting/alert-routing";
export type { AlertRoutingArgs } from "./alerting/alert-routing";
export { LokiStack } from "./logs/loki-stack";
export type { LokiStackArgs } from "./logs/loki-stack";
export { TracingStack } from "./tracing/tracing-stack";
export type { TracingStackArgs } from "./tracing/tracing-stack";
export { GrafanaStack } from "./grafana/grafana-stack";
export type { GrafanaStackArgs } from "./grafana/grafana-stack";
export { OpenSearchStack } from "./logs/opensearch-stack";
export type { OpenSearchStackArgs } from "./logs/opensearch-stack";
export { ErrorTracking } from "./errortracking/error-tracking";
export type { ErrorTrackingArgs } from "./errortracking/error-tracking";
export { Backups } from "./backups/backups";
export type { BackupsArgs } from "./backups/backups";

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
export { stackConfigSchema, secretKeys } from "./stack/config-schema";
export type { StackConfig, StackConfigInput } from "./stack/config-schema";
export { parseStackConfig, readStackConfig, ConfigError, CONFIG_NAMESPACE } from "./stack/config-loader";
export type { StackSecrets } from "./stack/config-loader";
export { alertingSchema, parseAlerting, validateAlerting, requiredSecretKeys, exampleAlerting, AlertingConfigError } from "./alerting/config";
export type { AlertingConfig, AlertingConfigInput } from "./alerting/config";
export { logsSchema } from "./logs/config";
export type { LogsConfig } from "./logs/config";
export { tracingSchema } from "./tracing/config";
export type { TracingConfig } from "./tracing/config";
export { rulesSchema } from "./rules/config";
export { errorTrackingSchema } from "./errortracking/config";
export type { ErrorTrackingConfig } from "./errortracking/config";
export { backupsSchema } from "./backups/config";
export type { BackupsConfig } from "./backups/config";
export type { RulesConfig } from "./rules/config";
export { jobNames } from "./metrics/job-names";

// Pure renderers: options in, the upstream tool's file text out
export { renderPrometheusConfig } from "./metrics/prometheus-config";
export type { PrometheusRenderOptions, ScrapeJob } from "./metrics/prometheus-types";
export { renderRuleFiles, defaultThresholds } from "./rules/rule-files";
export type { RuleThresholds } from "./rules/rule-types";
export { renderCustomRules } from "./rules/custom-rules";
export { renderAlertmanagerConfig, renderGrafanaContactPoints, renderGrafanaPolicy, renderGrafanaMuteTimings } from "./alerting/alertmanager-config";
export { renderBlackboxConfig } from "./metrics/blackbox-config";
export { renderLokiConfig, renderLokiRules } from "./logs/loki-config";
export { renderAlloyConfig } from "./logs/alloy-config";
export { renderCollectorConfig } from "./tracing/collector-config";
export { renderJaegerConfig } from "./tracing/jaeger-config";
export { renderTempoConfig } from "./tracing/tempo-config";
export { renderOpenSearchYml, renderSecurityFiles, renderIsmPolicy, renderIndexTemplate, renderDashboardsYml } from "./logs/opensearch-config";
export { renderLogAgentConfig } from "./logs/log-agent-config";
export { renderBackupScript, renderRcloneConfig, renderSchedulerScript } from "./backups/backup-script";

// Pinned images
export { images } from "./shared/versions";
