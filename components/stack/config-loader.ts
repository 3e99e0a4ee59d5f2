import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AlertingSecrets, Route, secretIssues } from "../alerting/config";
import { durationSeconds } from "../metrics/prometheus-config";
import { reservedJobNames } from "../metrics/job-names";
import { serviceSchema, ServiceSpec } from "../services/service-spec";
import { grafanaHostPortClaims, grafanaIssues } from "../grafana/config";
import { logsIssues } from "../logs/config";
import { errorTrackingIssues } from "../errortracking/config";
import { backupsIssues, backupTargets } from "../backups/config";
import { quantityValue } from "../shared/config-primitives";
import { shortestFor } from "../rules/config";
import { hostPortClaims, tracingIssues } from "../tracing/config";
import { secretKeys, StackConfig, stackConfigSchema } from "./config-schema";

/** The config namespace: `observability:<key>` in `Pulumi.<stack>.yaml`. */
export const CONFIG_NAMESPACE = "observability";

/** Every problem of a stack config, each naming its config path and what would be valid. */
export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`invalid stack configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The secrets a stack was given, as Pulumi secrets. */
export interface StackSecrets {
  /** `postgresql://user:password@host:5432/db?sslmode=...`; required when `exporters.postgres.enabled`. */
  postgresDsn?: pulumi.Input<string>;
  /** The Redis password; required when `exporters.redis.enabled` and `exporters.redis.auth`. */
  redisPassword?: pulumi.Input<string>;
  /**
   * Receiver credentials keyed `<receiver>.<integration>[i]` (and `smtp`): the keys are plain, so
   * a missing credential is named at preview; every value is a Pulumi secret.
   */
  alertingSecrets?: Record<string, pulumi.Input<string>>;
  /** Loki's S3 access key id, when `logs.storage.type` is `s3`. */
  lokiS3AccessKeyId?: pulumi.Input<string>;
  /** Loki's S3 secret access key, when `logs.storage.type` is `s3`. */
  lokiS3SecretAccessKey?: pulumi.Input<string>;
  /** The admin password of a deployed Grafana; generated when absent. */
  grafanaAdminPassword?: pulumi.Input<string>;
  /** A service-account token of an existing Grafana (`grafana.mode: existing`). */
  grafanaToken?: pulumi.Input<string>;
  /** GlitchTip's Django SECRET_KEY; required when `errorTracking.enabled`. */
  glitchtipSecretKey?: pulumi.Input<string>;
  /** GlitchTip's admin password; generated when absent. */
  glitchtipAdminPassword?: pulumi.Input<string>;
  /** Your PostgreSQL for GlitchTip, when `errorTracking.database.bundled` is false. */
  glitchtipDatabaseUrl?: pulumi.Input<string>;
  /** Your Valkey or Redis for GlitchTip, when `errorTracking.valkey.bundled` is false. */
  glitchtipValkeyUrl?: pulumi.Input<string>;
  /** SMTP for GlitchTip's emails. Default: the worker's log. */
  glitchtipEmailUrl?: pulumi.Input<string>;
  /** The backup bucket's access key id, when `backups.destination.type` is `s3`. */
  backupS3AccessKeyId?: pulumi.Input<string>;
  /** The backup bucket's secret access key, when `backups.destination.type` is `s3`. */
  backupS3SecretAccessKey?: pulumi.Input<string>;
}

/** Which secrets a stack was given, known at preview without reading a secret value. */
export interface PresentSecrets {
  /** Names of the plain secrets given (`postgresDsn`, `redisPassword`). */
  names: readonly string[];
  /** Keys of `alertingSecrets` given (`oncall.pagerduty[0]`, `smtp`). */
  alertingKeys: readonly string[];
}

/** `observability:prometheus.retention`, `observability:scrapeTargets[0].job`. */
export function configPath(path: (string | number)[], namespace = CONFIG_NAMESPACE): string {
  const [head, ...rest] = path;
  return `${namespace}:${String(head)}${rest.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `["${p}"]`)).join("")}`;
}

function issueText(path: (string | number)[], message: string, namespace: string): string {
  const where = path.length === 0 ? `${namespace}` : configPath(path, namespace);
  // "observability:platform is required" reads better than "observability:platform: is required".
  return /^(is|must|needs) /.test(message) ? `${where} ${message}` : `${where}: ${message}`;
}

function zodIssues(error: z.ZodError, namespace: string): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      return issue.keys.map((key) => issueText([...issue.path, key], `"${key}" ${issue.message}`, namespace));
    }
    if (issue.code === z.ZodIssueCode.invalid_type) {
      if (issue.received === "undefined") return [issueText(issue.path, issue.message === "Required" ? "is required" : issue.message, namespace)];
      return [issueText(issue.path, `must be ${article(issue.expected)}, not ${article(issue.received)}`, namespace)];
    }
    return [issueText(issue.path, issue.message, namespace)];
  });
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * Validates a raw stack config (top-level keys as in `Pulumi.<stack>.yaml`) and applies defaults.
 * Pure. Throws a `ConfigError` listing every problem; nothing is registered before this passes.
 *
 * @param presentSecrets names of the secrets the stack was given (see `secretKeys`).
 */
export function parseStackConfig(raw: Record<string, unknown>, presentSecrets: readonly string[] | PresentSecrets = [], namespace = CONFIG_NAMESPACE): StackConfig {
  const present: PresentSecrets = Array.isArray(presentSecrets) ? { names: presentSecrets, alertingKeys: [] } : (presentSecrets as PresentSecrets);
  const parsed = stackConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error, namespace));
  const issues = crossFieldIssues(parsed.data, new Set(present.names)).map(([path, message]) => issueText(path, message, namespace));
  if (parsed.data.alertmanager.enabled) {
    issues.push(...secretIssues(parsed.data.alerting, present.alertingKeys, { pathPrefix: `${namespace}:alerting`, secretsPath: `${namespace}:${secretKeys.alertingSecrets}` }));
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return parsed.data;
}

/** Rules that span fields: unique jobs, free host ports, required secrets and addresses. */
function crossFieldIssues(cfg: StackConfig, secrets: Set<string>): [(string | number)[], string][] {
  const issues: [(string | number)[], string][] = [];

  const jobs = new Map<string, number>();
  cfg.services.forEach((svc, i) => issues.push(...serviceClashes(cfg, svc, ["services", i], cfg.services.slice(0, i).map((s) => s.name))));
  cfg.scrapeTargets.forEach((t, i) => {
    if (reservedJobNames.has(t.job)) {
      issues.push([["scrapeTargets", i, "job"], `"${t.job}" is the name of a job the stack runs itself; choose another (reserved: ${[...reservedJobNames].sort().join(", ")})`]);
    } else if (jobs.has(t.job)) {
      issues.push([["scrapeTargets", i, "job"], `"${t.job}" is already the job of scrapeTargets[${jobs.get(t.job)}]; job names must be unique`]);
    } else {
      jobs.set(t.job, i);
    }
  });

  if (cfg.platform === "docker") {
    const ports = new Map<number, string>();
    const claim = (path: (string | number)[], value: number | undefined) => {
      if (value === undefined) return;
      const owner = ports.get(value);
      if (owner) issues.push([path, `host port ${value} is already used by ${owner}; two services cannot publish one host port`]);
      else ports.set(value, configPath(path));
    };
    claim(["prometheus", "hostPort"], cfg.prometheus.hostPort);
    if (cfg.alertmanager.enabled && cfg.alertmanager.replicas === 1) claim(["alertmanager", "hostPort"], cfg.alertmanager.hostPort);
    for (const [path, port] of hostPortClaims(cfg.logs, cfg.tracing)) claim(path, port);
    for (const [path, port] of grafanaHostPortClaims(cfg.grafana)) claim(path, port);
    if (cfg.errorTracking.enabled) claim(["errorTracking", "hostPort"], cfg.errorTracking.hostPort);
    for (const [name, exporter] of Object.entries(cfg.exporters)) {
      if (exporter.enabled) claim(["exporters", name, "hostPort"], exporter.hostPort);
    }
  }

  issues.push(...logsIssues(cfg.logs, secrets), ...tracingIssues(cfg.tracing), ...grafanaIssues(cfg.grafana, cfg.platform, secrets));
  issues.push(...errorTrackingIssues(cfg.errorTracking, secrets), ...backupsIssues(cfg.backups, secrets), ...partIssues(cfg));
  if (cfg.alertmanager.enabled && cfg.alertmanager.replicas > 1) issues.push(...clusterIntervalIssues(cfg));
  if (cfg.platform === "docker") issues.push(...dockerMemoryIssues(cfg));
  issues.push(...evaluationIntervalIssues(cfg));
  if (cfg.exporters.postgres.enabled && !secrets.has(secretKeys.postgresDsn)) {
    issues.push([[secretKeys.postgresDsn], `is required when exporters.postgres.enabled is true: pulumi config set --secret ${secretKeys.postgresDsn} 'postgresql://user:password@host:5432/db?sslmode=require'`]);
  }
  if (cfg.exporters.redis.enabled) {
    if (!cfg.exporters.redis.address) {
      issues.push([["exporters", "redis", "address"], "is required when exporters.redis.enabled is true (e.g. redis://redis:6379)"]);
    } else if (!/^(rediss?:\/\/)?[A-Za-z0-9._-]+:\d{1,5}$/.test(cfg.exporters.redis.address)) {
      issues.push([["exporters", "redis", "address"], `"${cfg.exporters.redis.address}" is not a Redis address (e.g. redis://redis:6379 or redis:6379)`]);
    }
    if (cfg.exporters.redis.auth && !secrets.has(secretKeys.redisPassword)) {
      issues.push([[secretKeys.redisPassword], `is required when exporters.redis.enabled and exporters.redis.auth are true: pulumi config set --secret ${secretKeys.redisPassword} <password> (or set exporters.redis.auth: false)`]);
    }
  }
  return issues;
}

/**
 * What the error tracker and the backups need of the rest of the stack: the blackbox exporter that
 * probes GlitchTip, and the parts the backups copy, deployed (a target whose part is off would
 * back up nothing, every run, without a word).
 */
function partIssues(cfg: StackConfig): [(string | number)[], string][] {
  const issues: [(string | number)[], string][] = [];
  if (cfg.logs.enabled && cfg.logs.backend === "opensearch" && !cfg.exporters.blackbox.enabled) {
    issues.push([["logs", "backend"], "opensearch needs exporters.blackbox.enabled: OpenSearch exports no metrics of its own and is probed through the blackbox exporter (OpenSearchDown); enable it or use backend loki"]);
  }
  if (cfg.errorTracking.enabled && !cfg.exporters.blackbox.enabled) {
    issues.push([["errorTracking", "enabled"], "needs exporters.blackbox.enabled: GlitchTip's health page is probed through the blackbox exporter (GlitchTipDown); enable it or turn errorTracking off"]);
  }
  const b = cfg.backups;
  if (!b.enabled) return issues;
  if (b.targets.grafana === true && !(cfg.grafana.enabled && cfg.grafana.mode === "deploy")) {
    issues.push([["backups", "targets", "grafana"], "is true, but the stack deploys no Grafana (grafana.enabled false or grafana.mode existing): set backups.targets.grafana to false, and back up an existing Grafana where it runs"]);
  }
  if (b.targets.alertmanager === true && !cfg.alertmanager.enabled) {
    issues.push([["backups", "targets", "alertmanager"], "is true, but alertmanager.enabled is false: set backups.targets.alertmanager to false"]);
  }
  if (backupTargets(b, deployedBackupSources(cfg)).length === 0) {
    issues.push([["backups", "targets"], "selects nothing this stack deploys to back up: set backups.targets.prometheus to true, or backups.enabled to false"]);
  }
  if (b.targets.prometheus && cfg.platform === "docker" && !isLoopback(cfg.docker.bindAddress)) {
    issues.push([["backups", "targets", "prometheus"], `enables Prometheus' admin API (snapshots, series deletion), and docker.bindAddress ${cfg.docker.bindAddress} publishes Prometheus' port beyond this host: bind to 127.0.0.1, or set backups.targets.prometheus to false`]);
  }
  return issues;
}

/** The parts the backups could copy, deployed or not. */
export function deployedBackupSources(cfg: StackConfig): { grafana: boolean; alertmanager: boolean } {
  return { grafana: cfg.grafana.enabled && cfg.grafana.mode === "deploy", alertmanager: cfg.alertmanager.enabled };
}

function isLoopback(address: string): boolean {
  return address === "::1" || /^127\./.test(address);
}

/**
 * What a monitored service may not collide with: the stack's jobs, the user's scrape targets,
 * services added before it; and a team whose alerts no route delivers.
 */
export function serviceClashes(cfg: StackConfig, svc: ServiceSpec, path: (string | number)[], earlier: ReadonlySet<string> | readonly string[]): [(string | number)[], string][] {
  const issues: [(string | number)[], string][] = [];
  if (reservedJobNames.has(svc.name)) {
    issues.push([[...path, "name"], `"${svc.name}" is the name of a job the stack runs itself; choose another`]);
  } else if ((Array.isArray(earlier) ? earlier.includes(svc.name) : (earlier as ReadonlySet<string>).has(svc.name)) || cfg.scrapeTargets.some((t) => t.job === svc.name)) {
    issues.push([[...path, "name"], `"${svc.name}" is already monitored (services and scrapeTargets share job names); names must be unique`]);
  }
  if (svc.team && cfg.alertmanager.enabled && !routesMatchTeam(cfg.alerting.route as RouteLike, svc.team)) {
    issues.push([[...path, "team"], `no route delivers team="${svc.team}"'s alerts: add one to alerting.route.routes, e.g. { matchers: ['team="${svc.team}"'], receiver: ${svc.team} }`]);
  }
  return issues;
}

interface RouteLike { matchers?: string[]; routes?: RouteLike[] }

function routesMatchTeam(route: RouteLike, team: string): boolean {
  return (route.matchers ?? []).some((m) => m.replace(/\s/g, "") === `team="${team}"`) || (route.routes ?? []).some((r) => routesMatchTeam(r, team));
}

// Parsed under a `service` key, so messages name `observability:service.<field>` like config paths.
// Built once: building a zod object costs more than parsing one service with it.
const monitoredServiceSchema = z.object({ service: serviceSchema });

/** Validates one service for `monitorService`, with the same messages as the config path. */
export function parseService(cfg: StackConfig, raw: unknown, earlier: ReadonlySet<string>, namespace = CONFIG_NAMESPACE): ServiceSpec {
  const parsed = monitoredServiceSchema.safeParse({ service: raw });
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error, namespace).map((i) => `monitorService: ${i}`));
  const clashes = serviceClashes(cfg, parsed.data.service, ["service"], earlier).map(([p, m]) => `monitorService: ${issueText(p, m, namespace)}`);
  if (clashes.length > 0) throw new ConfigError(clashes);
  return parsed.data.service;
}

/**
 * Prometheus evaluates an alert only every `evaluationInterval`: an alert whose `for` is shorter
 * fires after an interval, not after its `for` (ServiceDown's 15s would become 1m).
 */
function evaluationIntervalIssues(cfg: StackConfig): [(string | number)[], string][] {
  const shortest = shortestFor(cfg);
  const interval = cfg.prometheus.evaluationInterval;
  if (shortest === undefined || durationSeconds(interval) <= shortest.seconds) return [];
  const lengthen = shortest.path ? `, or lengthen ${configPath(shortest.path).replace(/^[^:]*:/, "")}` : "";
  return [[
    ["prometheus", "evaluationInterval"],
    `${interval} is longer than the shortest "for" of the rules (${shortest.alert}: ${shortest.for} in rules/${shortest.file}); alerts are evaluated only every ${interval}, so ${shortest.alert} would fire after ${interval}, not ${shortest.for}: use ${shortest.for} or less${lengthen}`,
  ]];
}

/** dockerd refuses a memory limit or reservation under 6 MiB (`dockerMemoryMb` rounds up to whole MiB the same way). */
const DOCKER_MIN_MEMORY_MB = 6;

/** The resources of every workload the config deploys on Docker, by config path. */
function dockerWorkloadResources(cfg: StackConfig): [(string | number)[], { requests: { memory: string }; limits: { memory: string } }][] {
  const out: [(string | number)[], { requests: { memory: string }; limits: { memory: string } }][] = [[["prometheus", "resources"], cfg.prometheus.resources]];
  // kube-state-metrics runs on Kubernetes only.
  for (const name of ["node", "cadvisor", "postgres", "redis", "blackbox"] as const) {
    const exporter = cfg.exporters[name];
    if (exporter.enabled && exporter.resources) out.push([["exporters", name, "resources"], exporter.resources]);
  }
  if (cfg.alertmanager.enabled) out.push([["alertmanager", "resources"], cfg.alertmanager.resources]);
  if (cfg.logs.enabled && cfg.logs.backend === "opensearch") {
    out.push([["logs", "opensearch", "resources"], cfg.logs.opensearch.resources], [["logs", "opensearch", "agent", "resources"], cfg.logs.opensearch.agent.resources]);
    if (cfg.logs.opensearch.dashboards.enabled) out.push([["logs", "opensearch", "dashboards", "resources"], cfg.logs.opensearch.dashboards.resources]);
  } else if (cfg.logs.enabled) out.push([["logs", "resources"], cfg.logs.resources], [["logs", "alloy", "resources"], cfg.logs.alloy.resources]);
  if (cfg.tracing.enabled) out.push([["tracing", "resources", "collector"], cfg.tracing.resources.collector], [["tracing", "resources", "backend"], cfg.tracing.resources.backend]);
  if (cfg.grafana.enabled && cfg.grafana.mode === "deploy") out.push([["grafana", "resources"], cfg.grafana.resources]);
  const et = cfg.errorTracking;
  if (et.enabled) {
    out.push([["errorTracking", "resources", "web"], et.resources.web], [["errorTracking", "resources", "worker"], et.resources.worker]);
    if (et.database.bundled) out.push([["errorTracking", "database", "resources"], et.database.resources]);
    if (et.valkey.bundled) out.push([["errorTracking", "valkey", "resources"], et.valkey.resources]);
  }
  if (cfg.backups.enabled) out.push([["backups", "resources"], cfg.backups.resources]);
  return out;
}

function dockerMemoryIssues(cfg: StackConfig): [(string | number)[], string][] {
  const issues: [(string | number)[], string][] = [];
  for (const [path, r] of dockerWorkloadResources(cfg)) {
    for (const kind of ["requests", "limits"] as const) {
      const bytes = quantityValue(r[kind].memory);
      if (bytes !== undefined && Math.ceil(bytes / 2 ** 20 - 1e-9) < DOCKER_MIN_MEMORY_MB) {
        issues.push([[...path, kind, "memory"], `"${r[kind].memory}" is below Docker's minimum of ${DOCKER_MIN_MEMORY_MB}Mi (e.g. 64Mi)`]);
      }
    }
  }
  return issues;
}

/** Alertmanager's default `--cluster.peer-timeout`: how long a replica waits for an earlier one. */
const PEER_TIMEOUT_SECONDS = 15;

/**
 * A clustered Alertmanager waits the peer timeout before sending what an earlier replica may have
 * sent; with a group interval at or below it, the later replica can send a stale "firing" after
 * the "resolved" (prometheus/alertmanager#2447). Every route's interval must exceed it.
 */
function clusterIntervalIssues(cfg: StackConfig): [(string | number)[], string][] {
  const issues: [(string | number)[], string][] = [];
  const visit = (route: { groupInterval?: string; routes?: Route[] }, path: (string | number)[]) => {
    if (route.groupInterval !== undefined && durationSeconds(route.groupInterval) <= PEER_TIMEOUT_SECONDS) {
      issues.push([[...path, "groupInterval"], `"${route.groupInterval}" must be longer than Alertmanager's ${PEER_TIMEOUT_SECONDS}s peer timeout when alertmanager.replicas is ${cfg.alertmanager.replicas}, or a replica can re-send a resolved alert as firing (e.g. 1m)`]);
    }
    (route.routes ?? []).forEach((child, i) => visit(child, [...path, "routes", i]));
  };
  visit(cfg.alerting.route as { groupInterval?: string; routes?: Route[] }, ["alerting", "route"]);
  return issues;
}

/** The plain (non-secret) top-level keys of the schema. */
const plainKeys = Object.keys(stackConfigSchema.shape) as (keyof typeof stackConfigSchema.shape)[];

/**
 * Reads the stack config at the program's edge. Plain values through `get`/`getObject`, secrets
 * only through `getSecret`, so they stay secret; then validates everything with `parseStackConfig`.
 */
export function readStackConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): { config: StackConfig; secrets: StackSecrets } {
  const raw: Record<string, unknown> = {};
  for (const key of plainKeys) {
    const text = config.get(key);
    if (text === undefined) continue;
    // Objects arrive as JSON text; a bare string (`platform: docker`) is not JSON and stays a string.
    raw[key] = parseJsonOr(text);
  }
  // A key the schema does not know (a typo such as `observability:prometeus`) is an error too.
  const known = new Set<string>([...plainKeys, ...Object.values(secretKeys)]);
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    const [ns, key] = fullKey.split(":");
    if (ns === config.name && key !== undefined && !known.has(key)) raw[key] = parseJsonOr(pulumi.runtime.allConfig()[fullKey]);
  }
  const secrets: StackSecrets = {
    postgresDsn: config.getSecret(secretKeys.postgresDsn),
    redisPassword: config.getSecret(secretKeys.redisPassword),
    lokiS3AccessKeyId: config.getSecret(secretKeys.lokiS3AccessKeyId),
    lokiS3SecretAccessKey: config.getSecret(secretKeys.lokiS3SecretAccessKey),
    grafanaAdminPassword: config.getSecret(secretKeys.grafanaAdminPassword),
    grafanaToken: config.getSecret(secretKeys.grafanaToken),
    glitchtipSecretKey: config.getSecret(secretKeys.glitchtipSecretKey),
    glitchtipAdminPassword: config.getSecret(secretKeys.glitchtipAdminPassword),
    glitchtipDatabaseUrl: config.getSecret(secretKeys.glitchtipDatabaseUrl),
    glitchtipValkeyUrl: config.getSecret(secretKeys.glitchtipValkeyUrl),
    glitchtipEmailUrl: config.getSecret(secretKeys.glitchtipEmailUrl),
    backupS3AccessKeyId: config.getSecret(secretKeys.backupS3AccessKeyId),
    backupS3SecretAccessKey: config.getSecret(secretKeys.backupS3SecretAccessKey),
  };
  // Only the key names are read in plain, to say at preview which credential is missing; each
  // value stays a secret Output.
  const alertingText = pulumi.runtime.allConfig()[`${config.name}:${secretKeys.alertingSecrets}`];
  const alertingKeys = alertingText ? Object.keys(parseJsonOr(alertingText) as object) : [];
  const alertingObject = config.getSecretObject<AlertingSecrets>(secretKeys.alertingSecrets);
  if (alertingObject) {
    secrets.alertingSecrets = Object.fromEntries(alertingKeys.map((k) => [k, pulumi.secret(alertingObject.apply((o) => o[k]))]));
  }
  const names = Object.entries(secrets).filter(([, v]) => v !== undefined).map(([k]) => k);
  return { config: parseStackConfig(raw, { names, alertingKeys }, config.name), secrets };
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
