import * as pulumi from "@pulumi/pulumi";
import { jobNames } from "./job-names";
import { StackConfig } from "../stack/config-schema";
import { DeployedWorkload, Platform, ScrapeEndpoint, WorkloadSpec } from "../platform/types";
import {
  blackboxExporterSpec,
  cadvisorSpec,
  kubeStateMetricsSpec,
  nodeExporterSpec,
  ports,
  postgresExporterSpec,
  prometheusSpec,
  redisExporterSpec,
} from "./workloads";
import { BLACKBOX_MODULES, renderBlackboxConfig } from "./blackbox-config";
import { renderPrometheusConfig, ScrapeJob } from "./prometheus-config";

/** The kubelet `/metrics` series kept: the persistent volumes' fill. */
export const KUBELET_KEEP = "kubelet_volume_stats_.+";
/** The API server series kept: its requests by code, which its alerts read. */
export const APISERVER_KEEP = "apiserver_request_total";

export interface PrometheusStackArgs {
  /**
   * Scrape the Kubernetes API server's own `/metrics` (a self-managed control plane). Default
   * false: on a managed cluster (EKS, GKE, AKS) its control plane is the provider's to watch.
   */
  controlPlane?: boolean;
  /** Where the workloads run: a `DockerPlatform` or a `KubernetesPlatform`. */
  platform: Platform;
  /**
   * Prometheus settings, validated (see `parseStackConfig`). Plain values rather than Inputs on
   * purpose: they shape which resources exist, so they must be known, and checked, at preview.
   */
  prometheus: StackConfig["prometheus"];
  /** Exporters to deploy and scrape. */
  exporters: StackConfig["exporters"];
  /** The user's own services, scraped at fixed addresses. Default none. */
  scrapeTargets?: StackConfig["scrapeTargets"];
  /** The postgres-exporter's DSN; required (a Pulumi secret) when `exporters.postgres.enabled`. */
  postgresDsn?: pulumi.Input<string>;
  /** The Redis password; required (a Pulumi secret) when `exporters.redis.enabled` and `auth`. */
  redisPassword?: pulumi.Input<string>;
  /**
   * Rule files by file name (`node.yml` → text), loaded by Prometheus. A text may be an Output
   * that resolves later (the monitored services' rules). Default none.
   */
  ruleFiles?: Record<string, pulumi.Input<string>>;
  /** Alertmanagers Prometheus sends alerts to. Default none. */
  alertmanagers?: ScrapeEndpoint[];
  /** Scrape jobs for workloads other components deploy (Alertmanager, Loki, ...). Default none. */
  extraJobs?: ScrapeJob[];
  /**
   * Probes of the stack's own parts through the blackbox exporter (GlitchTip's health page), each
   * a job of its own so that its alert selects it by `job`. Requires `exporters.blackbox.enabled`.
   */
  probes?: { name: string; module: "http" | "tcp"; targets: string[] }[];
  /** Store exemplars (trace ids on histogram samples), for metrics-to-traces links. Default false. */
  exemplars?: boolean;
  /** Scrape jobs known only after construction (the services `monitorService` adds). Default none. */
  lateJobs?: pulumi.Input<ScrapeJob[]>;
}

/**
 * Prometheus and its exporters. Every exporter is switched on or off by config; Prometheus
 * scrapes every workload it deploys, itself included, plus the user's static targets and the
 * workloads that opt in with `prometheus.io/scrape` labels (Docker) or annotations (Kubernetes).
 */
export class PrometheusStack extends pulumi.ComponentResource {
  /** URL of the Prometheus UI from where `pulumi up` runs (Docker), or its in-cluster URL (Kubernetes). */
  public readonly url: pulumi.Output<string>;
  /** `host:port` of Prometheus for the stack's other workloads (Grafana's datasource). */
  public readonly address: string;
  /** The rendered `prometheus.yml` (an Output: the monitored services' jobs are added last). */
  public readonly configText: pulumi.Output<string>;
  /** Every workload this component deployed, for footprint accounting and tests. */
  public readonly workloads: WorkloadSpec[] = [];

  constructor(name: string, args: PrometheusStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability:index:PrometheusStack", name, {}, opts);
    const { platform, exporters } = args;
    const caps = platform.capabilities;
    const deploy = (spec: WorkloadSpec): DeployedWorkload => {
      this.workloads.push(spec);
      return platform.deploy(spec, this);
    };
    const jobs: ScrapeJob[] = [{ kind: "targets", name: jobNames.prometheus, endpoint: { kind: "static", targets: [`localhost:${ports.prometheus}`] } }];
    const exporterJob = (jobName: string, deployed: DeployedWorkload, portName = "metrics", honorLabels = false) => {
      jobs.push({ kind: "targets", name: jobName, endpoint: deployed.scrapeEndpoint(portName), ...(honorLabels ? { honorLabels } : {}) });
    };

    if (exporters.node.enabled) exporterJob(jobNames.node, deploy(nodeExporterSpec(exporters.node)));
    if (exporters.cadvisor.enabled) {
      if (caps.containerMetrics === "cadvisor") exporterJob(jobNames.cadvisor, deploy(cadvisorSpec(exporters.cadvisor)));
      else jobs.push({ kind: "kubelet-cadvisor", name: jobNames.cadvisor });
    }
    if (exporters.kubeStateMetrics.enabled && caps.clusterState) {
      // Its `namespace` and `pod` labels are the reported objects': kept over the exporter pod's own.
      exporterJob(jobNames.kubeStateMetrics, deploy(kubeStateMetricsSpec(exporters.kubeStateMetrics)), "metrics", true);
    }
    if (caps.containerMetrics === "kubelet") {
      // The kubelet's own /metrics, for the persistent volumes' fill (kubelet_volume_stats_*): only
      // those series are kept, the rest of it is thousands of series no rule or dashboard reads.
      jobs.push({ kind: "kubelet-cadvisor", name: jobNames.kubelet, endpoint: "metrics", keep: KUBELET_KEEP });
    }
    if (args.controlPlane && caps.clusterState) {
      jobs.push({ kind: "apiserver", name: jobNames.apiserver, keep: APISERVER_KEEP });
    }
    if (exporters.postgres.enabled) {
      if (args.postgresDsn === undefined) throw new Error(`${name}: postgresDsn is required when exporters.postgres.enabled is true`);
      exporterJob(jobNames.postgres, deploy(postgresExporterSpec(exporters.postgres, pulumi.secret(args.postgresDsn), `${name}: postgresDsn`)));
    }
    if (exporters.redis.enabled) {
      if (exporters.redis.auth && args.redisPassword === undefined) {
        throw new Error(`${name}: redisPassword is required when exporters.redis.enabled and exporters.redis.auth are true`);
      }
      const password = exporters.redis.auth && args.redisPassword !== undefined ? pulumi.secret(args.redisPassword) : undefined;
      exporterJob(jobNames.redis, deploy(redisExporterSpec(exporters.redis, password)));
    }
    if (exporters.blackbox.enabled) {
      const blackbox = deploy(blackboxExporterSpec(exporters.blackbox, renderBlackboxConfig()));
      exporterJob(jobNames.blackbox, blackbox, "http");
      const exporter = blackbox.address("http");
      if (exporters.blackbox.http.length > 0) {
        jobs.push({ kind: "probe", name: jobNames.probeHttp, exporter, module: BLACKBOX_MODULES.http, targets: exporters.blackbox.http });
      }
      for (const probe of args.probes ?? []) jobs.push({ kind: "probe", name: probe.name, exporter, module: BLACKBOX_MODULES[probe.module], targets: probe.targets });
      if (exporters.blackbox.tcp.length > 0) {
        jobs.push({ kind: "probe", name: jobNames.probeTcp, exporter, module: BLACKBOX_MODULES.tcp, targets: exporters.blackbox.tcp });
      }
    }

    const discovery = platform.discovery(this);
    jobs.push({ kind: "discovery", name: jobNames.discovered, discovery });
    for (const target of args.scrapeTargets ?? []) {
      jobs.push({
        kind: "targets",
        name: target.job,
        endpoint: { kind: "static", targets: target.targets },
        metricsPath: target.metricsPath,
        scheme: target.scheme,
        ...(target.interval ? { interval: target.interval } : {}),
        // The service label every monitored service carries (metrics/prometheus-config.ts SERVICE_LABEL): its job, unless its labels name one.
        labels: { service: target.job, ...target.labels },
      });
    }
    jobs.push(...(args.extraJobs ?? []));

    const ruleFiles = args.ruleFiles ?? {};
    this.configText = pulumi.output(args.lateJobs ?? []).apply((late) =>
      renderPrometheusConfig({
        scrapeInterval: args.prometheus.scrapeInterval,
        evaluationInterval: args.prometheus.evaluationInterval,
        externalLabels: args.prometheus.externalLabels,
        ruleFiles: Object.keys(ruleFiles).length > 0 ? ["rules/*.yml"] : [],
        alertmanagers: args.alertmanagers ?? [],
        jobs: [...jobs, ...(late as ScrapeJob[])],
      }),
    );
    const prometheus = deploy(prometheusSpec(args.prometheus, caps, this.configText, ruleFiles, discovery.kind === "kubernetes", args.exemplars ?? false));
    this.address = prometheus.address("http");
    this.url = pulumi.output(prometheus.publicUrl("http") ?? `http://${this.address}`);

    this.registerOutputs({ url: this.url });
  }
}
