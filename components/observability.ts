import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackSecrets } from "./config/load";
import { StackConfig, StackConfigInput } from "./config/schema";
import { DockerPlatform } from "./platform/docker";
import { KubernetesPlatform } from "./platform/kubernetes";
import { Platform, WorkloadSpec } from "./platform/types";
import { PrometheusStack } from "./prometheus";
import { renderRuleFiles } from "./render/rules";

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
 * The whole observability stack on one platform: today Prometheus and its exporters; alerting,
 * logs, traces and Grafana join here as they are built.
 */
export class ObservabilityStack extends pulumi.ComponentResource {
  /** The validated config, every default applied. */
  public readonly config: StackConfig;
  public readonly platform: Platform;
  public readonly prometheus: PrometheusStack;
  /** Every URL a user opens, by name. */
  public readonly urls: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config must fail before any resource, this one included, is registered.
    const secrets = args.secrets ?? {};
    const config = parseStackConfig(args.config as Record<string, unknown>, Object.keys(secrets).filter((k) => (secrets as any)[k] !== undefined));
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

    this.prometheus = new PrometheusStack(`${name}-prometheus`, {
      platform: this.platform,
      prometheus: config.prometheus,
      exporters: config.exporters,
      scrapeTargets: config.scrapeTargets,
      postgresDsn: secrets.postgresDsn,
      redisPassword: secrets.redisPassword,
      ruleFiles: renderRuleFiles(),
    }, { parent: this });

    this.urls = pulumi.all({ prometheus: this.prometheus.url });
    this.registerOutputs({ urls: this.urls });
  }

  /** Every workload the stack deploys, for footprint accounting and tests. */
  get workloads(): WorkloadSpec[] {
    return [...this.prometheus.workloads];
  }
}
