import * as pulumi from "@pulumi/pulumi";
import { TracingConfig } from "./config";
import { DeployedWorkload, Platform, WorkloadSpec } from "../platform/types";
import { correlations, Correlations } from "../grafana/correlations";
import { renderJaegerConfig } from "./jaeger-config";
import { renderCollectorConfig } from "./collector-config";
import { ScrapeJob } from "../metrics/prometheus-types";
import { renderTempoConfig } from "./tempo-config";
import { collectorSpec, jaegerSpec, tempoSpec } from "./workloads";

/** Scrape job names of the tracing workloads. */
export const tracingJobNames = { collector: "otel-collector", spanmetrics: "spanmetrics", jaeger: "jaeger", tempo: "tempo" } as const;

export interface TracingStackArgs {
  /** Where the workloads run: a `DockerPlatform` or a `KubernetesPlatform`. */
  platform: Platform;
  /** Tracing settings, validated (`tracingSchema` + `tracingIssues`). */
  tracing: TracingConfig;
  /** Loki's OTLP endpoint (`LokiStack.lokiOtlpUrl`): OTLP logs sent to the collector go there. Default none: the collector takes no logs. */
  lokiOtlpUrl?: string;
}

/**
 * The OpenTelemetry Collector (OTLP and Zipkin in; RED metrics from every span; optional tail
 * sampling) in front of a trace backend: Jaeger v2 (Badger) or Tempo (local blocks).
 */
export class TracingStack extends pulumi.ComponentResource {
  /** `host:port` applications send OTLP/gRPC to (in the stack's network). */
  public readonly otlpGrpcEndpoint: string;
  /** `http://host:port` applications send OTLP/HTTP to. */
  public readonly otlpHttpEndpoint: string;
  /** `host:port` of the backend's query API (Jaeger 16686, Tempo 3200): Grafana's trace datasource. */
  public readonly traceBackendAddress: string;
  /** The backend's UI/API URL from where `pulumi up` runs (Docker), or its in-cluster URL. */
  public readonly traceBackendUrl: pulumi.Output<string>;
  /** Which backend runs, and the datasource links for GrafanaStack (uids from `DATASOURCE_UIDS`). */
  public readonly backend: TracingConfig["backend"];
  public readonly correlations: Correlations;
  /** Prometheus jobs: the collector (8888), its span metrics (8889) and the backend. */
  public readonly scrapeJobs: ScrapeJob[];
  public readonly collectorConfigText: string;
  public readonly backendConfigText: string;
  /** Every workload this component deployed. */
  public readonly workloads: WorkloadSpec[] = [];

  constructor(name: string, args: TracingStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability:index:TracingStack", name, {}, opts);
    const { platform, tracing } = args;
    const deploy = (spec: WorkloadSpec): DeployedWorkload => {
      this.workloads.push(spec);
      return platform.deploy(spec, this);
    };
    this.backend = tracing.backend;

    // The backend first: the collector's config names its address.
    this.backendConfigText =
      tracing.backend === "jaeger" ? renderJaegerConfig({ retention: tracing.retention }) : renderTempoConfig({ retention: tracing.retention });
    const backend = deploy(tracing.backend === "jaeger" ? jaegerSpec(tracing, this.backendConfigText) : tempoSpec(tracing, this.backendConfigText));
    this.traceBackendAddress = backend.address("http");
    this.traceBackendUrl = pulumi.output(backend.publicUrl("http") ?? `http://${this.traceBackendAddress}`);

    this.collectorConfigText = renderCollectorConfig({
      backendOtlpEndpoint: backend.address("otlp-grpc"),
      tailSampling: tracing.tailSampling,
      lokiOtlpEndpoint: args.lokiOtlpUrl,
    });
    const collector = deploy(collectorSpec(tracing, this.collectorConfigText));
    this.otlpGrpcEndpoint = collector.address("otlp-grpc");
    this.otlpHttpEndpoint = `http://${collector.address("otlp-http")}`;
    this.correlations = correlations(tracing.backend);

    this.scrapeJobs = [
      { kind: "targets", name: tracingJobNames.collector, endpoint: collector.scrapeEndpoint("metrics") },
      { kind: "targets", name: tracingJobNames.spanmetrics, endpoint: collector.scrapeEndpoint("spanmetrics") },
      tracing.backend === "jaeger"
        ? { kind: "targets", name: tracingJobNames.jaeger, endpoint: backend.scrapeEndpoint("metrics") }
        : { kind: "targets", name: tracingJobNames.tempo, endpoint: backend.scrapeEndpoint("http") },
    ];
    this.registerOutputs({ traceBackendUrl: this.traceBackendUrl });
  }
}
