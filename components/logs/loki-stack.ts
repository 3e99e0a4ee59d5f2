import * as pulumi from "@pulumi/pulumi";
import { LogsConfig } from "./config";
import { alloySpec, lokiSpec } from "./workloads";
import { DeployedWorkload, DiscoverySpec, Platform, WorkloadSpec } from "../platform/types";
import { renderAlloyConfig } from "./alloy-config";
import { LokiRenderOptions, renderLokiConfig, renderLokiRules } from "./loki-config";
import { ScrapeJob } from "../metrics/prometheus-types";
import { validateLogQLRule, describeFailure } from "../shared/logql";

type LokiS3Storage = Extract<LokiRenderOptions["storage"], { type: "s3" }>;

/** Scrape job names of the logs workloads (the `job` label of their own metrics). */
export const logsJobNames = { loki: "loki", alloy: "alloy" } as const;

export interface LokiStackArgs {
  /** Where the workloads run: a `DockerPlatform` or a `KubernetesPlatform`. */
  platform: Platform;
  /** Logs settings, validated (`logsSchema` + `logsIssues`). Plain values: they decide which resources exist. */
  logs: LogsConfig;
  /** The stack's Alertmanager, `http://alertmanager:9093`, for the ruler's alerts. Default none: rules evaluate but notify nobody. */
  alertmanagerUrl?: string;
  /** Loki's S3 credentials (Pulumi secrets); required when `logs.storage.type` is `s3`. */
  s3Credentials?: { accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
  /**
   * The platform's discovery, when another component already asked for it. Default
   * `platform.discovery(this)` (the Docker platform deploys its socket proxy once either way).
   */
  discovery?: DiscoverySpec;
}

/**
 * Loki (single binary, persistent volume, compactor retention, ruler) and the Alloy agent that
 * ships every container's logs to it, JSON fields parsed, `level` and `service` as labels and
 * trace/request ids as structured metadata.
 */
export class LokiStack extends pulumi.ComponentResource {
  /** `host:port` of Loki's HTTP API for the stack's workloads (Grafana's datasource). */
  public readonly lokiAddress: string;
  /** Loki's push endpoint for the stack's workloads, `http://loki:3100/loki/api/v1/push`. */
  public readonly lokiPushUrl: string;
  /** Loki's OTLP logs endpoint for the collector, `http://loki:3100/otlp`. */
  public readonly lokiOtlpUrl: string;
  /** Loki's URL from where `pulumi up` runs (Docker), or its in-cluster URL (Kubernetes). */
  public readonly url: pulumi.Output<string>;
  /** Prometheus jobs for Loki's and Alloy's own metrics. */
  public readonly scrapeJobs: ScrapeJob[];
  /**
   * The rendered loki.yaml and Alloy config, for tests and `--show-config` style output. With S3
   * storage the deployed loki.yaml also holds the keys and is a secret file; this text leaves them out.
   */
  public readonly lokiConfigText: string;
  public readonly alloyConfigText: string;
  /** Every workload this component deployed, for footprint accounting and tests. */
  public readonly workloads: WorkloadSpec[] = [];

  constructor(name: string, args: LokiStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability:index:LokiStack", name, {}, opts);
    const { platform, logs } = args;
    // The loader has checked these with config paths; this guards library callers.
    if (logs.storage.type === "s3" && (!logs.storage.bucket || !args.s3Credentials)) {
      throw new Error(`${name}: logs.storage.type s3 needs logs.storage.bucket and s3Credentials`);
    }
    logs.rules.forEach((rule, i) => {
      const result = validateLogQLRule(rule.expr);
      if (!result.ok) throw new Error(`${name}: logs.rules[${i}].expr is not a valid LogQL rule ${describeFailure(result)}`);
    });
    const deploy = (spec: WorkloadSpec): DeployedWorkload => {
      this.workloads.push(spec);
      return platform.deploy(spec, this);
    };

    const options: LokiRenderOptions = {
      retention: logs.retention,
      storage: logs.storage.type === "s3" ? { type: "s3", bucket: logs.storage.bucket!, endpoint: logs.storage.endpoint, region: logs.storage.region } : { type: "filesystem" },
      limits: logs.limits,
      alertmanagerUrl: args.alertmanagerUrl,
    };
    this.lokiConfigText = renderLokiConfig(options);
    const rulesText = logs.rules.length > 0 ? renderLokiRules(logs.rules) : undefined;
    // With S3 the deployed file carries the keys: a secret file, rendered once the keys resolve.
    const creds = options.storage.type === "s3" && args.s3Credentials ? args.s3Credentials : undefined;
    const config = creds
      ? {
          secret: true,
          text: pulumi.secret(
            pulumi.all([creds.accessKeyId, creds.secretAccessKey]).apply(([accessKeyId, secretAccessKey]) =>
              renderLokiConfig({ ...options, storage: { ...(options.storage as LokiS3Storage), credentials: { accessKeyId, secretAccessKey } } }),
            ),
          ),
        }
      : { secret: false, text: this.lokiConfigText };
    const loki = deploy(lokiSpec(logs, config, rulesText));
    this.lokiAddress = loki.address("http");
    this.lokiPushUrl = `http://${this.lokiAddress}/loki/api/v1/push`;
    this.lokiOtlpUrl = `http://${this.lokiAddress}/otlp`;
    this.url = pulumi.output(loki.publicUrl("http") ?? `http://${this.lokiAddress}`);

    // Where logs come from follows the platform's discovery, not its name.
    const discovery = args.discovery ?? platform.discovery(this);
    const source = discovery.kind === "docker" ? { kind: "docker" as const, host: discovery.host } : { kind: "kubernetes" as const, namespaces: discovery.namespaces };
    this.alloyConfigText = renderAlloyConfig({ source, lokiPushUrl: this.lokiPushUrl });
    const alloy = deploy(alloySpec(logs.alloy, source, this.alloyConfigText));

    this.scrapeJobs = [
      { kind: "targets", name: logsJobNames.loki, endpoint: loki.scrapeEndpoint("http") },
      { kind: "targets", name: logsJobNames.alloy, endpoint: alloy.scrapeEndpoint("http") },
    ];
    this.registerOutputs({ url: this.url });
  }
}
