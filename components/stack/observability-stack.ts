import { resolveImage } from "../shared/versions";
import * as pulumi from "@pulumi/pulumi";
import { AlertRouting } from "../alerting/alert-routing";
import { deployedBackupSources, parseService, parseStackConfig, PresentSecrets, StackSecrets } from "./config-loader";
import { ServiceSpec, ServiceSpecInput } from "../services/service-spec";
import { thresholdsOf } from "../rules/config";
import { StackConfig, StackConfigInput } from "./config-schema";
import { serviceDashboard } from "../../dashboards/service";
import { GrafanaStack } from "../grafana/grafana-stack";
import { LokiStack } from "../logs/loki-stack";
import { OpenSearchStack } from "../logs/opensearch-stack";
import { DockerPlatform } from "../platform/docker";
import { KubernetesPlatform } from "../platform/kubernetes";
import { Platform, ScrapeEndpoint, WorkloadSpec } from "../platform/types";
import { PrometheusStack } from "../metrics/prometheus-stack";
import { ScrapeJob } from "../metrics/prometheus-config";
import { renderServiceRules, SERVICE_RULES_FILE } from "../rules/monitored-service-rules";
import { TracingStack } from "../tracing/tracing-stack";
import { validateStack } from "./validate-stack";
import { withoutDebugStackTraces } from "../platform/stack-traces";
import { ErrorTracking } from "../errortracking/error-tracking";
import { Backups } from "../backups/backups";
import { backupTargets } from "../backups/config";

export interface ObservabilityStackArgs {
  /**
   * The stack's configuration, the same shape as the `observability:` keys of `Pulumi.<stack>.yaml`
   * (see the README's config reference). Validated before any resource is registered; defaults applied.
   */
  config: StackConfigInput;
  /** Secrets, each a Pulumi secret (read with `config.getSecret`). Default none. */
  secrets?: StackSecrets;
}

/**
 * The whole observability stack on one platform: Prometheus and its exporters, Alertmanager with
 * the stack's routing, Loki with the Alloy agent, and the OpenTelemetry Collector with Jaeger or
 * Tempo. Each pillar but metrics can be switched off in config.
 */
export class ObservabilityStack extends pulumi.ComponentResource {
  /** The validated config, every default applied. */
  public readonly config: StackConfig;
  public readonly platform: Platform;
  public readonly prometheus: PrometheusStack;
  public readonly alerting?: AlertRouting;
  /** Loki and Alloy (`logs.backend: loki`). */
  public readonly logs?: LokiStack;
  /** OpenSearch, its Dashboards and the log agent (`logs.backend: opensearch`). */
  public readonly opensearch?: OpenSearchStack;
  public readonly tracing?: TracingStack;
  public readonly grafana?: GrafanaStack;
  public readonly errorTracking?: ErrorTracking;
  public readonly backups?: Backups;
  /** Every URL a user opens, by name. */
  public readonly urls: pulumi.Output<Record<string, string>>;
  /** Where applications send telemetry: OTLP (gRPC, HTTP), the Loki push API, and the Sentry DSN's shape for GlitchTip. */
  public readonly endpoints: Record<string, string>;
  /** The services monitored so far (config `services` and `monitorService`). */
  public readonly services: ServiceSpec[] = [];
  private sealed = false;
  private readonly serviceNames = new Set<string>();
  private seal!: () => void;

  constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config must fail before any resource, this one included, is registered.
    // The schema and the cross-field rules, then what needs the disk and the rendered files.
    const secrets = args.secrets ?? {};
    const config = parseStackConfig(args.config as Record<string, unknown>, presentSecrets(secrets));
    const checked = validateStack(config);
    super("observability:index:ObservabilityStack", name, {}, opts);
    this.config = config;
    const stackName = config.name ?? `obs-${pulumi.getStack()}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");

    // Every part is constructed without the SDK's debug stack traces (see withoutDebugStackTraces).
    this.platform = withoutDebugStackTraces(() =>
      config.platform === "docker"
        ? new DockerPlatform(`${name}-docker`, {
            stackName,
            bindAddress: config.docker.bindAddress,
            retainVolumes: config.docker.retainVolumes,
            dockerHost: `unix://${config.docker.socketPath}`,
            imageOf: (image) => resolveImage(image, config.images),
          }, { parent: this })
        : new KubernetesPlatform(`${name}-kubernetes`, {
            namespace: config.kubernetes.namespace,
            nodeAgentsNamespace: config.kubernetes.nodeAgentsNamespace,
            createNamespace: config.kubernetes.createNamespace,
            networkPolicies: config.kubernetes.networkPolicies,
            storageClass: config.kubernetes.storageClass,
            imageOf: (image) => resolveImage(image, config.images),
          }, { parent: this }),
    );

    // The services' jobs and rules are rendered once the program has added them all: the config
    // files are Outputs that resolve when the stack is sealed, right after the program's turn.
    const servicesDone = new Promise<ServiceSpec[]>((resolve) => {
      this.seal = () => {
        this.sealed = true;
        resolve([...this.services]);
      };
    });
    const services = pulumi.output(servicesDone);
    let resolveGrafanaJobs!: (jobs: ScrapeJob[]) => void;
    const grafanaJobs = pulumi.output(new Promise<ScrapeJob[]>((resolve) => (resolveGrafanaJobs = resolve)));

    const extraJobs: ScrapeJob[] = [];
    let alertmanagers: ScrapeEndpoint[] = [];
    const urls: Record<string, pulumi.Input<string>> = {};
    this.endpoints = {};

    if (config.alertmanager.enabled) {
      this.alerting = withoutDebugStackTraces(() => new AlertRouting(`${name}-alerting`, {
        platform: this.platform,
        routing: config.alerting,
        secrets: pulumi.output(secrets.alertingSecrets ?? {}) as pulumi.Output<Record<string, string>>,
        alertmanager: config.alertmanager,
      }, { parent: this }));
      alertmanagers = this.alerting.alertmanagers;
      extraJobs.push(...this.alerting.scrapeJobs);
      urls.alertmanager = this.alerting.url;
    }

    if (config.logs.enabled && config.logs.backend === "opensearch") {
      this.opensearch = withoutDebugStackTraces(() => new OpenSearchStack(`${name}-opensearch`, {
        platform: this.platform,
        logs: config.logs,
        stackName,
      }, { parent: this }));
      extraJobs.push(...this.opensearch.scrapeJobs);
      urls.opensearch = this.opensearch.url;
      if (this.opensearch.dashboardsUrl) urls.opensearchDashboards = this.opensearch.dashboardsUrl;
    } else if (config.logs.enabled) {
      this.logs = withoutDebugStackTraces(() => new LokiStack(`${name}-logs`, {
        platform: this.platform,
        logs: config.logs,
        alertmanagerUrl: this.alerting ? `http://${this.alerting.address}` : undefined,
        s3Credentials: s3Credentials(secrets.lokiS3AccessKeyId, secrets.lokiS3SecretAccessKey),
      }, { parent: this }));
      extraJobs.push(...this.logs.scrapeJobs);
      urls.loki = this.logs.url;
      this.endpoints.lokiPush = this.logs.lokiPushUrl;
    }

    if (config.tracing.enabled) {
      this.tracing = withoutDebugStackTraces(() => new TracingStack(`${name}-tracing`, {
        platform: this.platform,
        tracing: config.tracing,
        lokiOtlpUrl: this.logs?.lokiOtlpUrl,
      }, { parent: this }));
      extraJobs.push(...this.tracing.scrapeJobs);
      urls[this.tracing.backend] = this.tracing.traceBackendUrl;
      this.endpoints.otlpGrpc = this.tracing.otlpGrpcEndpoint;
      this.endpoints.otlpHttp = this.tracing.otlpHttpEndpoint;
    }

    if (config.errorTracking.enabled) {
      this.errorTracking = withoutDebugStackTraces(() => new ErrorTracking(`${name}-error-tracking`, {
        platform: this.platform,
        errorTracking: config.errorTracking,
        secretKey: secrets.glitchtipSecretKey!,
        adminPassword: secrets.glitchtipAdminPassword,
        databaseUrl: secrets.glitchtipDatabaseUrl,
        valkeyUrl: secrets.glitchtipValkeyUrl,
        emailUrl: secrets.glitchtipEmailUrl,
      }, { parent: this }));
      urls.glitchtip = this.errorTracking.url;
      this.endpoints.sentryDsn = this.errorTracking.dsnTemplate;
    }

    // A Prometheus snapshot is taken through the admin API: on for the backups (config-loader
    // refuses it on Docker when Prometheus' port is published beyond loopback).
    const backupPrometheus = config.backups.enabled && config.backups.targets.prometheus;
    this.prometheus = withoutDebugStackTraces(() => new PrometheusStack(`${name}-prometheus`, {
      platform: this.platform,
      prometheus: backupPrometheus ? { ...config.prometheus, enableAdminApi: true } : config.prometheus,
      probes: [...(this.opensearch?.probes ?? []), ...(this.errorTracking?.probes ?? [])],
      exporters: config.exporters,
      scrapeTargets: config.scrapeTargets,
      postgresDsn: secrets.postgresDsn,
      redisPassword: secrets.redisPassword,
      // The stack's rules (with the configured thresholds) and the user's, known now; the services' at seal.
      ruleFiles: { ...checked.ruleFiles, [SERVICE_RULES_FILE]: services.apply((list) => renderServiceRules(list, thresholdsOf(config.rules))) },
      alertmanagers,
      extraJobs,
      // Grafana is built after Prometheus (it needs Prometheus' address); its job joins late.
      lateJobs: pulumi.all([services, grafanaJobs]).apply(([list, grafana]) => [...grafana, ...list.map(scrapeJobOf)]),
      exemplars: config.tracing.enabled,
      controlPlane: config.platform === "kubernetes" && config.kubernetes.flavor === "self-managed",
    }, { parent: this }));
    urls.prometheus = this.prometheus.url;

    if (config.grafana.enabled) {
      this.grafana = withoutDebugStackTraces(() => new GrafanaStack(`${name}-grafana`, {
        platform: this.platform,
        grafana: config.grafana,
        adminPassword: secrets.grafanaAdminPassword,
        token: secrets.grafanaToken,
        datasources: {
          prometheusUrl: `http://${this.prometheus.address}`,
          lokiUrl: this.logs ? `http://${this.logs.lokiAddress}` : undefined,
          tracesUrl: this.tracing ? `http://${this.tracing.traceBackendAddress}` : undefined,
          tracesBackend: this.tracing?.backend,
          alertmanagerUrl: this.alerting ? `http://${this.alerting.address}` : undefined,
          opensearch: this.opensearch ? { url: this.opensearch.opensearchUrl, indexPattern: this.opensearch.indexPattern, username: this.opensearch.reader.username } : undefined,
        },
        opensearch: this.opensearch ? { password: this.opensearch.reader.password, caCert: this.opensearch.caCert } : undefined,
        // Planned and validated by validateStack, before anything was registered.
        dashboardPlan: checked.dashboardPlan,
        // The one routing definition, so Grafana-managed alerts route like Alertmanager's.
        alerting: this.alerting ? { config: config.alerting, secrets: pulumi.output(secrets.alertingSecrets ?? {}) as pulumi.Output<Record<string, string>> } : undefined,
      }, { parent: this }));
      urls.grafana = this.grafana.url;
    }
    if (config.backups.enabled) {
      this.backups = withoutDebugStackTraces(() => new Backups(`${name}-backups`, {
        platform: this.platform,
        backups: config.backups,
        targets: backupTargets(config.backups, deployedBackupSources(config)),
        prometheusUrl: `http://${this.prometheus.address}`,
        alertmanagerUrl: this.alerting ? `http://${this.alerting.address}` : undefined,
        s3Credentials: s3Credentials(secrets.backupS3AccessKeyId, secrets.backupS3SecretAccessKey),
      }, { parent: this }));
    }
    // Grafana's and the backup schedulers' jobs join Prometheus' config late (both are built after it).
    resolveGrafanaJobs([...(this.grafana?.scrapeJobs ?? []), ...(this.backups?.scrapeJobs ?? [])]);
    // The services' dashboards too are pushed when the stack is sealed, all at once (see addDashboardsLater).
    this.grafana?.addDashboardsLater(servicesDone.then((list) => list.map((s) => serviceDashboard(s.name))));

    this.urls = pulumi.output(urls) as pulumi.Output<Record<string, string>>;
    for (const svc of config.services) this.addService(svc);
    // The program adds its services in the turn that builds the stack; then the files are final.
    setImmediate(() => this.seal());
    this.registerOutputs({ urls: this.urls, endpoints: this.endpoints });
  }

  /**
   * Onboards a service: its scrape job (fixed targets or Kubernetes pods by selector), its SLO
   * burn-rate alerts carrying its `team` label (a route must deliver that team's alerts), and its
   * RED dashboard. Same schema and renderers as the `services:` config key.
   *
   * Call it in the same turn that builds the stack (at the top level of the program); later calls
   * are rejected, because the configs they would change are already rendered.
   */
  monitorService(service: ServiceSpecInput): ServiceSpec {
    if (this.sealed) {
      throw new Error(`monitorService("${(service as { name?: string }).name}"): the stack's configs are already rendered; call monitorService at the top level of the program, right after building the stack`);
    }
    const parsed = parseService(this.config, service, this.serviceNames);
    this.addService(parsed);
    return parsed;
  }

  private addService(service: ServiceSpec): void {
    this.services.push(service);
    this.serviceNames.add(service.name);
    // Its job, rules and dashboard join the stack when it is sealed.
  }

  /** Every workload the stack deploys, for footprint accounting and tests. */
  get workloads(): WorkloadSpec[] {
    return [
      ...this.prometheus.workloads,
      ...(this.alerting?.workloads ?? []),
      ...(this.logs?.workloads ?? []),
      ...(this.opensearch?.workloads ?? []),
      ...(this.tracing?.workloads ?? []),
      ...(this.grafana?.workloads ?? []),
      ...(this.errorTracking?.workloads ?? []),
      ...(this.backups?.workloads ?? []),
    ];
  }
}

/** A pair of S3 keys, when both were given (the loader has said which is missing otherwise). */
function s3Credentials(accessKeyId: pulumi.Input<string> | undefined, secretAccessKey: pulumi.Input<string> | undefined) {
  return accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined;
}

/** Which secrets were given, by name (and the alerting credential keys), without reading values. */
function presentSecrets(secrets: StackSecrets): PresentSecrets {
  const names = Object.entries(secrets).filter(([, v]) => v !== undefined).map(([k]) => k);
  return { names, alertingKeys: Object.keys(secrets.alertingSecrets ?? {}) };
}

/** A monitored service's scrape job; its targets carry `service` (and `team`) labels. */
export function scrapeJobOf(svc: ServiceSpec): ScrapeJob {
  const labels = { service: svc.name, ...(svc.team ? { team: svc.team } : {}) };
  const common = { name: svc.name, metricsPath: svc.metricsPath, scheme: svc.scheme, labels, ...(svc.interval ? { interval: svc.interval } : {}) };
  return svc.kubernetes
    ? { kind: "kubernetes-selector", namespace: svc.kubernetes.namespace, selector: svc.kubernetes.selector, portName: svc.kubernetes.port, ...common }
    : { kind: "targets", endpoint: { kind: "static", targets: svc.targets! }, ...common };
}
