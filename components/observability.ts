import * as pulumi from "@pulumi/pulumi";
import { AlertRouting } from "./alerting";
import { parseStackConfig, PresentSecrets, StackSecrets } from "./config/load";
import { thresholdsOf } from "./config/rules";
import { StackConfig, StackConfigInput } from "./config/schema";
import { LokiStack } from "./loki";
import { DockerPlatform } from "./platform/docker";
import { KubernetesPlatform } from "./platform/kubernetes";
import { Platform, ScrapeEndpoint, WorkloadSpec } from "./platform/types";
import { PrometheusStack } from "./prometheus";
import { CUSTOM_RULES_FILE, CustomRule, renderCustomRules } from "./render/custom-rules";
import { ScrapeJob } from "./render/prometheus";
import { renderRuleFiles } from "./render/rules";
import { TracingStack } from "./tracing";

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
  public readonly logs?: LokiStack;
  public readonly tracing?: TracingStack;
  /** Every URL a user opens, by name. */
  public readonly urls: pulumi.Output<Record<string, string>>;
  /** Where applications send telemetry: OTLP (gRPC, HTTP) and the Loki push API. */
  public readonly endpoints: Record<string, string>;

  constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config must fail before any resource, this one included, is registered.
    const secrets = args.secrets ?? {};
    const config = parseStackConfig(args.config as Record<string, unknown>, presentSecrets(secrets));
    super("observability:index:ObservabilityStack", name, {}, opts);
    this.config = config;
    const stackName = config.name ?? `obs-${pulumi.getStack()}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");

    this.platform =
      config.platform === "docker"
        ? new DockerPlatform(`${name}-docker`, {
            stackName,
            bindAddress: config.docker.bindAddress,
            retainVolumes: config.docker.retainVolumes,
            dockerHost: `unix://${config.docker.socketPath}`,
          }, { parent: this })
        : new KubernetesPlatform(`${name}-kubernetes`, {
            namespace: config.kubernetes.namespace,
            createNamespace: config.kubernetes.createNamespace,
            networkPolicies: config.kubernetes.networkPolicies,
            storageClass: config.kubernetes.storageClass,
          }, { parent: this });

    const extraJobs: ScrapeJob[] = [];
    let alertmanagers: ScrapeEndpoint[] = [];
    const urls: Record<string, pulumi.Input<string>> = {};
    this.endpoints = {};

    if (config.alertmanager.enabled) {
      this.alerting = new AlertRouting(`${name}-alerting`, {
        platform: this.platform,
        routing: config.alerting,
        secrets: pulumi.output(secrets.alertingSecrets ?? {}) as pulumi.Output<Record<string, string>>,
        alertmanager: config.alertmanager,
      }, { parent: this });
      alertmanagers = this.alerting.alertmanagers;
      extraJobs.push(...this.alerting.scrapeJobs);
      urls.alertmanager = this.alerting.url;
    }

    if (config.logs.enabled) {
      this.logs = new LokiStack(`${name}-logs`, {
        platform: this.platform,
        logs: config.logs,
        alertmanagerUrl: this.alerting ? `http://${this.alerting.address}` : undefined,
        s3Credentials: secrets.lokiS3AccessKeyId !== undefined && secrets.lokiS3SecretAccessKey !== undefined
          ? { accessKeyId: secrets.lokiS3AccessKeyId, secretAccessKey: secrets.lokiS3SecretAccessKey }
          : undefined,
      }, { parent: this });
      extraJobs.push(...this.logs.scrapeJobs);
      urls.loki = this.logs.url;
      this.endpoints.lokiPush = this.logs.lokiPushUrl;
    }

    if (config.tracing.enabled) {
      this.tracing = new TracingStack(`${name}-tracing`, {
        platform: this.platform,
        tracing: config.tracing,
        lokiOtlpUrl: this.logs?.lokiOtlpUrl,
      }, { parent: this });
      extraJobs.push(...this.tracing.scrapeJobs);
      urls[this.tracing.backend] = this.tracing.traceBackendUrl;
      this.endpoints.otlpGrpc = this.tracing.otlpGrpcEndpoint;
      this.endpoints.otlpHttp = this.tracing.otlpHttpEndpoint;
    }

    this.prometheus = new PrometheusStack(`${name}-prometheus`, {
      platform: this.platform,
      prometheus: config.prometheus,
      exporters: config.exporters,
      scrapeTargets: config.scrapeTargets,
      postgresDsn: secrets.postgresDsn,
      redisPassword: secrets.redisPassword,
      ruleFiles: ruleFilesOf(config),
      alertmanagers,
      extraJobs,
      exemplars: config.tracing.enabled,
    }, { parent: this });
    urls.prometheus = this.prometheus.url;

    this.urls = pulumi.output(urls) as pulumi.Output<Record<string, string>>;
    this.registerOutputs({ urls: this.urls, endpoints: this.endpoints });
  }

  /** Every workload the stack deploys, for footprint accounting and tests. */
  get workloads(): WorkloadSpec[] {
    return [
      ...this.prometheus.workloads,
      ...(this.alerting?.workloads ?? []),
      ...(this.logs?.workloads ?? []),
      ...(this.tracing?.workloads ?? []),
    ];
  }
}

/** Which secrets were given, by name (and the alerting credential keys), without reading values. */
function presentSecrets(secrets: StackSecrets): PresentSecrets {
  const names = Object.entries(secrets).filter(([, v]) => v !== undefined).map(([k]) => k);
  return { names, alertingKeys: Object.keys(secrets.alertingSecrets ?? {}) };
}

/** The stack's rule files (rendered with the configured thresholds) and the user's rules. */
function ruleFilesOf(config: StackConfig): Record<string, string> {
  const files = renderRuleFiles(thresholdsOf(config.rules));
  // Without Alertmanager its own alerts have nothing to watch.
  if (!config.alertmanager.enabled) delete files["alertmanager.yml"];
  if (config.rules.custom.length > 0) files[CUSTOM_RULES_FILE] = renderCustomRules(config.rules.custom as CustomRule[]);
  return files;
}
