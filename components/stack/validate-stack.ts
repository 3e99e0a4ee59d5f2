import * as fs from "fs";
import * as path from "path";
import { CONFIG_NAMESPACE, ConfigError, configPath } from "./config-loader";
import { deployedPartsOf, stackRuleFiles } from "../rules/config";
import { StackConfig } from "./config-schema";
import { jobNames } from "../metrics/job-names";
import { alertmanagerPorts } from "../alerting/workloads";
import { LOKI_RULES_FILE, lokiSpec } from "../logs/workloads";
import { configMapGroups, fileKey, MAX_CONFIG_DATA_BYTES } from "../platform/kubernetes-objects";
import { ConfigFile, WorkloadSpec } from "../platform/types";
import { prometheusSpec } from "../metrics/workloads";
import { checkDashboards, DashboardPlan, grafanaDatasources } from "../grafana/provisioning";
import { renderLokiConfig, renderLokiRules } from "../logs/loki-config";
import { CUSTOM_RULES_FILE } from "../rules/custom-rules";
import { SERVICE_RULES_FILE } from "../rules/monitored-service-rules";

/**
 * The checks of a parsed stack config that need more than the config: the user's dashboards
 * folder (read from disk) and the rendered files a Kubernetes ConfigMap must hold. Run by
 * `ObservabilityStack` after `parseStackConfig` and before it registers anything; every problem
 * names its config path, like the loader's.
 */

/** What the checks computed, so that the stack does not compute it again. */
export interface StackChecks {
  /** The dashboards Grafana gets, validated; undefined when `grafana.enabled` is false. */
  dashboardPlan?: DashboardPlan;
  /** The rule files known from the config (`stackRuleFiles`); the services' file joins at seal. */
  ruleFiles: Record<string, string>;
}

/**
 * Throws a `ConfigError` listing every problem, each naming its config path; returns what it
 * computed on the way. Reads `grafana.dashboardsDir` (relative to the working directory, the
 * Pulumi project's when `pulumi` runs the program).
 *
 * Not checked here, because it is known only once the stack is sealed or a secret resolves: the
 * size of the Kubernetes ConfigMaps of Prometheus' config and of the services' rules (they grow
 * with `monitorService`), and the secrets' values (the PostgreSQL DSN, the receivers' URLs).
 */
export function validateStack(config: StackConfig, namespace = CONFIG_NAMESPACE): StackChecks {
  const issues: string[] = [];
  const ruleFiles = stackRuleFiles(config);
  let dashboardPlan: DashboardPlan | undefined;
  if (config.grafana.enabled) {
    const dashboards = dashboardIssues(config, namespace);
    issues.push(...dashboards.issues);
    dashboardPlan = dashboards.plan;
  }
  if (config.platform === "kubernetes") issues.push(...configMapIssues(config, ruleFiles, namespace));
  if (issues.length > 0) throw new ConfigError(issues);
  return { dashboardPlan, ruleFiles };
}

/**
 * The dashboards Grafana will get, planned for the parts this config deploys (`deployedPartsOf`,
 * as the rules are) and the datasources it creates (the same `grafanaDatasources` that
 * `GrafanaStack` runs on the real URLs), and the problems of the user's
 * folder: `observability:grafana.dashboardsDir: <file>: <problem>`.
 */
function dashboardIssues(config: StackConfig, namespace: string): { issues: string[]; plan?: DashboardPlan } {
  const where = configPath(["grafana", "dashboardsDir"], namespace);
  const dir = config.grafana.dashboardsDir;
  if (dir !== undefined && !isFolder(dir)) {
    const resolved = path.isAbsolute(dir) ? "" : ` (${path.resolve(dir)})`;
    return {
      issues: [`${where}: "${dir}"${resolved} does not exist or is not a folder; give a folder of *.json dashboards or *.ts/*.js modules exporting "dashboard", relative to the Pulumi project`],
    };
  }
  // Only which datasources exist matters to the plan, not their URLs.
  const tracesBackend = config.tracing.enabled ? config.tracing.backend : undefined;
  const datasources = grafanaDatasources({
    prometheusUrl: "",
    lokiUrl: config.logs.enabled && config.logs.backend === "loki" ? "" : undefined,
    opensearch: config.logs.enabled && config.logs.backend === "opensearch" ? { url: "", indexPattern: "", username: "" } : undefined,
    tracesUrl: config.tracing.enabled ? "" : undefined,
    tracesBackend,
    alertmanagerUrl: config.alertmanager.enabled ? "" : undefined,
  });
  // The parts that pick the rule groups (`stackRuleFiles`) pick the dashboards and their rows.
  // The example dashboard only when asked for (`grafana.exampleDashboards`).
  const { plan, problems } = checkDashboards({
    datasourceUids: datasources.map((d) => d.uid),
    tracesBackend,
    dashboardsDir: dir,
    parts: deployedPartsOf(config),
    includeExamples: config.grafana.exampleDashboards,
  });
  if (problems.builtIn.length > 0) {
    // Not the config's fault: a built-in dashboard of this package is broken.
    throw new Error(`the built-in dashboards are not valid (a bug of pulumi-observability):\n${problems.builtIn.map((p) => `  - ${p}`).join("\n")}`);
  }
  return { issues: problems.user.map((p) => `${where}: ${p}`), plan };
}

function isFolder(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** A file known only later (rendered at seal, or from a secret): a ConfigMap of its own, checked then. */
const LATER: ConfigFile["content"] = Promise.resolve("");

/**
 * The ConfigMaps whose files are all known now and grow with the config: Prometheus' rule files
 * (the user's `rules.custom`) and Loki's config with its ruler rules (`logs.rules`). Each is
 * checked against the API server's 1 MiB limit as `KubernetesPlatform` would check it at
 * registration, from the same workload specs.
 */
function configMapIssues(config: StackConfig, ruleFiles: Record<string, string>, namespace: string): string[] {
  const issues: string[] = [];
  const prometheus = prometheusSpec(config.prometheus, { containerMetrics: "kubelet", clusterState: true, scheduledJobs: "native" }, LATER, { ...ruleFiles, [SERVICE_RULES_FILE]: LATER }, true);
  const rules = oversizedConfigMap(prometheus);
  if (rules) {
    const custom = rules.sizes.find((f) => f.path.endsWith(`/rules/${CUSTOM_RULES_FILE}`));
    const where = configPath(custom ? ["rules", "custom"] : ["rules"], namespace);
    issues.push(`${where}: the rule files make Prometheus' ConfigMap ${kib(rules.total)}, over the Kubernetes API server's limit of 1024 KiB${custom ? `, ${kib(custom.bytes)} of it rules/${CUSTOM_RULES_FILE}` : ""}; shorten or remove custom rules, or move some to another stack`);
  }
  if (config.logs.enabled && config.logs.rules.length > 0) {
    const logs = config.logs;
    // As LokiStack renders it; the Alertmanager's in-cluster address is KubernetesPlatform's `<name>.<namespace>.svc:<port>`.
    const text = renderLokiConfig({
      retention: logs.retention,
      storage: logs.storage.type === "s3" ? { type: "s3", bucket: logs.storage.bucket!, endpoint: logs.storage.endpoint, region: logs.storage.region } : { type: "filesystem" },
      limits: logs.limits,
      alertmanagerUrl: config.alertmanager.enabled ? `http://${jobNames.alertmanager}.${config.kubernetes.namespace}.svc:${alertmanagerPorts.http}` : undefined,
    });
    // With S3 the config holds the keys and is a Secret: only the rules remain in the ConfigMap.
    const loki = oversizedConfigMap(lokiSpec(logs, { text, secret: logs.storage.type === "s3" }, renderLokiRules(logs.rules)));
    if (loki) {
      const rulesFile = loki.sizes.find((f) => f.path === LOKI_RULES_FILE)!;
      issues.push(`${configPath(["logs", "rules"], namespace)}: the ruler's rules make Loki's ConfigMap ${kib(loki.total)}, over the Kubernetes API server's limit of 1024 KiB, ${kib(rulesFile.bytes)} of it the rules; shorten or remove rules, or move some to another stack`);
    }
  }
  return issues;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/**
 * The size of the spec's ConfigMap of known files when it exceeds 1 MiB, and each file's share
 * (its key and content, as the API server counts them); undefined when it fits.
 */
function oversizedConfigMap(spec: WorkloadSpec): { total: number; sizes: { path: string; bytes: number }[] } | undefined {
  for (const group of configMapGroups(spec.files ?? [])) {
    if (!group.files.every((f) => typeof f.content === "string")) continue;
    const sizes = group.files.map((f) => ({ path: f.path, bytes: Buffer.byteLength(fileKey(f.path)) + Buffer.byteLength(f.content as string) }));
    const total = sizes.reduce((sum, f) => sum + f.bytes, 0);
    if (total > MAX_CONFIG_DATA_BYTES) return { total, sizes };
  }
  return undefined;
}
