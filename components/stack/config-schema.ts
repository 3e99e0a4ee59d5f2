import { images, ImageName, isPinned, REGISTRY_PATTERN, withoutRegistry } from "../shared/versions";
import { z } from "zod";
import { alertingSchema } from "../alerting/config";
import { grafanaSchema, grafanaSecretKeys } from "../grafana/config";
import { logsSchema, logsSecretKeys } from "../logs/config";
import { errorTrackingSchema, errorTrackingSecretKeys } from "../errortracking/config";
import { backupsSchema, backupSecretKeys } from "../backups/config";
import { tracingSchema } from "../tracing/config";
import { rulesSchema } from "../rules/config";
import { serviceSchema } from "../services/service-spec";
import { defaultNodeAgentsNamespace } from "../platform/kubernetes-objects";
import {
  byteSize,
  dnsLabel,
  duration,
  hostPort,
  httpUrl,
  ipAddress,
  jobName,
  labels,
  port,
  resources,
  storageQuantity,
  strictObject,
} from "../shared/config-primitives";

/**
 * The whole stack's configuration, one schema with every default in it. `Pulumi.<stack>.yaml`
 * keys under `observability:` map one-to-one onto the top-level fields; secrets are not here
 * (they are read with `getSecret`, see `secretKeys`).
 */

const resourceDefaults = {
  prometheus: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
  exporter: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
  cadvisor: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
  kubeStateMetrics: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  alertmanager: { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
};

const exporterBase = {
  /** Deploy and scrape this exporter. */
  enabled: z.boolean(),
  /** Publish the exporter's port on the Docker host (bound to `docker.bindAddress`); unpublished by default. */
  hostPort: port.optional(),
  /** CPU and memory requests and limits. */
  resources: resources.optional(),
};

/** An override of one of the stack's images: a whole reference, pinned to a version tag or a digest. */
const pinnedImage = (name: ImageName) =>
  z
    .string()
    .refine((v) => isPinned(v), (v) => ({ message: `"${v}" is not pinned: give a version tag or a digest (e.g. ${withoutRegistry(images[name])} or <image>@sha256:<64 hex digits>)` }));

export const stackConfigSchema = strictObject({
  /** Where the stack runs: `docker` (a laptop or one host) or `kubernetes`. Required. */
  platform: z.enum(["docker", "kubernetes"], {
    errorMap: (issue, ctx) => ({
      message: issue.code === "invalid_enum_value" ? `"${ctx.data}" is not a platform (platforms: docker, kubernetes)` : "is required: docker or kubernetes",
    }),
  }),
  /** Prefix of every Docker container, network and volume name. Default `obs-<pulumi stack>`. */
  name: dnsLabel.optional(),

  /** Where the images come from, for air-gapped hosts and clusters. Default: each image's upstream registry. */
  images: strictObject({
    /**
     * A registry (mirror) that replaces each image's registry host, e.g. `mirror.example.com/cache`:
     * `quay.io/prometheus/prometheus:v3.16.0` becomes `mirror.example.com/cache/prometheus/prometheus:v3.16.0`.
     * Host, optional port and path; no scheme, no tag. Default none.
     */
    registry: z
      .string()
      .refine((v) => REGISTRY_PATTERN.test(v), (v) => ({ message: `"${v}" is not a registry (a host, an optional :port and path, e.g. mirror.example.com/cache or localhost:5000; no scheme, no tag)` }))
      .optional(),
    /**
     * Whole image references by image name (`prometheus`, `alertmanager`, `grafana`, ... as in
     * components/shared/versions.ts), each pinned to a version tag or a digest; they win over `registry`. Default none.
     */
    overrides: strictObject({
      /** The whole `prometheus` image reference, pinned. Default: components/shared/versions.ts `images.prometheus`. */
      prometheus: pinnedImage("prometheus").optional(),
      /** The whole `alertmanager` image reference, pinned. Default: components/shared/versions.ts `images.alertmanager`. */
      alertmanager: pinnedImage("alertmanager").optional(),
      /** The whole `nodeExporter` image reference, pinned. Default: components/shared/versions.ts `images.nodeExporter`. */
      nodeExporter: pinnedImage("nodeExporter").optional(),
      /** The whole `blackboxExporter` image reference, pinned. Default: components/shared/versions.ts `images.blackboxExporter`. */
      blackboxExporter: pinnedImage("blackboxExporter").optional(),
      /** The whole `postgresExporter` image reference, pinned. Default: components/shared/versions.ts `images.postgresExporter`. */
      postgresExporter: pinnedImage("postgresExporter").optional(),
      /** The whole `redisExporter` image reference, pinned. Default: components/shared/versions.ts `images.redisExporter`. */
      redisExporter: pinnedImage("redisExporter").optional(),
      /** The whole `cadvisor` image reference, pinned. Default: components/shared/versions.ts `images.cadvisor`. */
      cadvisor: pinnedImage("cadvisor").optional(),
      /** The whole `kubeStateMetrics` image reference, pinned. Default: components/shared/versions.ts `images.kubeStateMetrics`. */
      kubeStateMetrics: pinnedImage("kubeStateMetrics").optional(),
      /** The whole `dockerSocketProxy` image reference, pinned. Default: components/shared/versions.ts `images.dockerSocketProxy`. */
      dockerSocketProxy: pinnedImage("dockerSocketProxy").optional(),
      /** The whole `loki` image reference, pinned. Default: components/shared/versions.ts `images.loki`. */
      loki: pinnedImage("loki").optional(),
      /** The whole `alloy` image reference, pinned. Default: components/shared/versions.ts `images.alloy`. */
      alloy: pinnedImage("alloy").optional(),
      /** The whole `otelCollectorContrib` image reference, pinned. Default: components/shared/versions.ts `images.otelCollectorContrib`. */
      otelCollectorContrib: pinnedImage("otelCollectorContrib").optional(),
      /** The whole `jaeger` image reference, pinned. Default: components/shared/versions.ts `images.jaeger`. */
      jaeger: pinnedImage("jaeger").optional(),
      /** The whole `tempo` image reference, pinned. Default: components/shared/versions.ts `images.tempo`. */
      tempo: pinnedImage("tempo").optional(),
      /** The whole `grafana` image reference, pinned. Default: components/shared/versions.ts `images.grafana`. */
      grafana: pinnedImage("grafana").optional(),
      /** The whole `opensearch` image reference, pinned. Default: components/shared/versions.ts `images.opensearch`. */
      opensearch: pinnedImage("opensearch").optional(),
      /** The whole `opensearchDashboards` image reference, pinned. Default: components/shared/versions.ts `images.opensearchDashboards`. */
      opensearchDashboards: pinnedImage("opensearchDashboards").optional(),
      /** The whole `glitchtip` image reference, pinned. Default: components/shared/versions.ts `images.glitchtip`. */
      glitchtip: pinnedImage("glitchtip").optional(),
      /** The whole `glitchtipPostgres` image reference, pinned. Default: components/shared/versions.ts `images.glitchtipPostgres`. */
      glitchtipPostgres: pinnedImage("glitchtipPostgres").optional(),
      /** The whole `glitchtipValkey` image reference, pinned. Default: components/shared/versions.ts `images.glitchtipValkey`. */
      glitchtipValkey: pinnedImage("glitchtipValkey").optional(),
      /** The whole `rclone` image reference, pinned. Default: components/shared/versions.ts `images.rclone`. */
      rclone: pinnedImage("rclone").optional(),
    }).default({}),
  }).default({}),

  docker: strictObject({
    /** Address published ports bind to. Default `127.0.0.1`: nothing is reachable from other hosts. */
    bindAddress: ipAddress.default("127.0.0.1"),
    /** Keep data volumes on `pulumi destroy` and container replacement. Default true. */
    retainVolumes: z.boolean().default(true),
    /** The Docker socket the discovery proxy reads (read-only). Default `/var/run/docker.sock`. */
    socketPath: z.string().startsWith("/", "must be an absolute path").default("/var/run/docker.sock"),
  }).default({}),

  kubernetes: strictObject({
    /** Namespace of every object but the node agents'; it enforces the `restricted` Pod Security Standard. Default `observability`. */
    namespace: dnsLabel.default("observability"),
    /**
     * Namespace of the node agents (node-exporter, Alloy), whose host access `restricted` forbids; it
     * enforces `privileged` and warns and audits at `restricted`. Must differ from `namespace`.
     * Default `<namespace>-node-agents`.
     */
    nodeAgentsNamespace: dnsLabel.optional(),
    /** Create the namespaces, labelled for Pod Security Admission (false: they exist already). Default true. */
    createNamespace: z.boolean().default(true),
    /** Default-deny NetworkPolicies in both namespaces with per-workload allows. Default true. */
    networkPolicies: z.boolean().default(true),
    /** StorageClass of the persistent volumes. Default: the cluster's default class. */
    storageClass: z.string().optional(),
    /**
     * Who runs the control plane. `managed` (EKS, GKE, AKS; default): the provider does, and
     * the stack neither scrapes nor alerts on it, so no control-plane alert fires for what it
     * cannot see. `self-managed`: the stack scrapes the API server's `/metrics` and alerts on it.
     */
    flavor: z.enum(["managed", "self-managed"]).default("managed"),
  }).superRefine((k, ctx) => {
    const agents = k.nodeAgentsNamespace ?? defaultNodeAgentsNamespace(k.namespace);
    if (agents === k.namespace) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["nodeAgentsNamespace"], message: `"${agents}" is also kubernetes.namespace; the node agents need a namespace of their own (the stack's enforces the restricted Pod Security Standard, which their host access breaks)` });
    } else if (k.nodeAgentsNamespace === undefined && agents.length > 63) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["namespace"], message: `"${k.namespace}" makes the node agents' namespace "${agents}", longer than 63 characters; set kubernetes.nodeAgentsNamespace or use a shorter namespace` });
    }
  }).default({}),

  prometheus: strictObject({
    /** How long samples are kept (`--storage.tsdb.retention.time`). Default `15d`. */
    retention: duration.default("15d"),
    /** Size cap of the TSDB, oldest blocks go first (`--storage.tsdb.retention.size`). Default `10GB`. */
    retentionSize: byteSize.default("10GB"),
    /** Size of the data volume on Kubernetes; keep it above `retentionSize`. Default `20Gi`. */
    storageSize: storageQuantity.default("20Gi"),
    /** Default scrape interval. Default `15s`. */
    scrapeInterval: duration.default("15s"),
    /** Rule evaluation interval; at most the shortest `for` of the rules the stack loads (ServiceDown's `rules.thresholds.serviceDownFor`, 15s, by default). Default `15s`. */
    evaluationInterval: duration.default("15s"),
    /** Labels on every series and alert leaving this Prometheus (e.g. `cluster: prod`). Default none. */
    externalLabels: labels.default({}),
    /** Host port of the Prometheus UI on Docker. Default 9090. */
    hostPort: port.default(9090),
    /** Enable the TSDB admin API (delete series, snapshots). Default false: it can destroy data. */
    enableAdminApi: z.boolean().default(false),
    /** Enable `/-/reload` and `/-/quit` over HTTP. Default false: anyone who can reach the port could stop Prometheus. */
    enableLifecycle: z.boolean().default(false),
    /** CPU and memory requests and limits. */
    resources: resources.default(resourceDefaults.prometheus),
  }).default({}),

  exporters: strictObject(
    {
      /** Host metrics. Default enabled. */
      node: strictObject({ ...exporterBase, enabled: z.boolean().default(true), resources: resources.default(resourceDefaults.exporter) }).default({}),
      /** Container metrics: the cAdvisor container on Docker, the kubelet's cAdvisor on Kubernetes. Default enabled. */
      cadvisor: strictObject({ ...exporterBase, enabled: z.boolean().default(true), resources: resources.default(resourceDefaults.cadvisor) }).default({}),
      /** Kubernetes object state (kube-state-metrics); Kubernetes only. Default enabled. */
      kubeStateMetrics: strictObject({ ...exporterBase, enabled: z.boolean().default(true), resources: resources.default(resourceDefaults.kubeStateMetrics) }).default({}),
      /** PostgreSQL metrics; the DSN is the secret `observability:postgresDsn`. Default disabled. */
      postgres: strictObject({ ...exporterBase, enabled: z.boolean().default(false), resources: resources.default(resourceDefaults.exporter) }).default({}),
      /** Redis metrics from `address`; the password is the secret `observability:redisPassword` unless `auth: false`. Default disabled. */
      redis: strictObject({
        ...exporterBase,
        enabled: z.boolean().default(false),
        /** Redis address, `redis://host:port` or `host:port`. Required when enabled. */
        address: z.string().optional(),
        /** Redis requires a password. Default true. */
        auth: z.boolean().default(true),
        resources: resources.default(resourceDefaults.exporter),
      }).default({}),
      /** Probes of URLs and TCP endpoints. Default enabled (it probes nothing until given targets). */
      blackbox: strictObject({
        ...exporterBase,
        enabled: z.boolean().default(true),
        /** URLs probed with HTTP GET; a 2xx after redirects is success. */
        http: z.array(httpUrl).default([]),
        /** `host:port` endpoints probed with a TCP connect. */
        tcp: z.array(hostPort).default([]),
        resources: resources.default(resourceDefaults.exporter),
      }).default({}),
    },
    "exporter",
  ).default({}),

  alertmanager: strictObject({
    /** Deploy Alertmanager and wire Prometheus to it. Default true: alerts must reach someone. */
    enabled: z.boolean().default(true),
    /** Replicas; more than one form a gossip cluster that deduplicates notifications. Default 1. */
    replicas: z.number({ invalid_type_error: "must be a whole number from 1 to 5" }).int("must be a whole number from 1 to 5").min(1, "must be a whole number from 1 to 5").max(5, "must be a whole number from 1 to 5").default(1),
    /** How long silences and the notification log are kept (`--data.retention`). Default `120h`. */
    retention: duration.default("120h"),
    /** Volume size per replica on Kubernetes. Default `1Gi`. */
    storageSize: storageQuantity.default("1Gi"),
    /** Host port of the Alertmanager UI on Docker (single replica only). Default 9093. */
    hostPort: port.default(9093),
    /** CPU and memory requests and limits per replica. */
    resources: resources.default(resourceDefaults.alertmanager),
  }).default({}),

  /** Where alerts go: receivers, routes, inhibitions, mute times (components/alerting/config.ts). */
  alerting: alertingSchema.default({}),

  /** Threshold overrides of the stack's alert rules, and the user's own rules. */
  rules: rulesSchema,

  /** Loki and the Alloy log agent (components/logs/config.ts). */
  logs: logsSchema.default({}),

  /** The OpenTelemetry Collector and Jaeger or Tempo (components/tracing/config.ts). */
  tracing: tracingSchema.default({}),

  /** Grafana, deployed or existing: datasources, folders, dashboards, contact points (components/grafana/config.ts). */
  grafana: grafanaSchema.default({}),

  /** GlitchTip, the Sentry-compatible error tracker, with its PostgreSQL and Valkey (components/errortracking/config.ts). */
  errorTracking: errorTrackingSchema.default({}),

  /** Scheduled backups of Prometheus, Grafana and Alertmanager to a volume or S3 (components/backups/config.ts). */
  backups: backupsSchema.default({}),

  /** Services to monitor: scrape job, SLO alerts routed to the team, RED dashboard (as `monitorService`). */
  services: z.array(serviceSchema).default([]),

  /** The user's own services, scraped at fixed addresses. */
  scrapeTargets: z
    .array(
      strictObject({
        /** Job name, unique across the stack; also the `service` label of its series (what the HTTP RED dashboard, SLO alerts and runbooks select by), unless `labels` sets `service`. */
        job: jobName,
        /** `host:port` addresses. */
        targets: z.array(hostPort).min(1, "needs at least one host:port target"),
        /** Path of the metrics endpoint. Default `/metrics`. */
        metricsPath: z.string().startsWith("/", "must start with /").default("/metrics"),
        /** `http` or `https`. Default `http`. */
        scheme: z.enum(["http", "https"]).default("http"),
        /** Overrides `prometheus.scrapeInterval`. */
        interval: duration.optional(),
        /** Labels added to every target of the job. */
        labels: labels.default({}),
      }),
    )
    .default([]),
});

/** The stack config as the components see it: every default applied. */
export type StackConfig = z.infer<typeof stackConfigSchema>;
/** The stack config as written in `Pulumi.<stack>.yaml`: defaults optional. */
export type StackConfigInput = z.input<typeof stackConfigSchema>;

/** Secrets read with `config.getSecret`, never `getObject`: they stay Pulumi secrets end to end. */
export const secretKeys = {
  /** `postgresql://user:password@host:5432/db?sslmode=...`, required when `exporters.postgres.enabled`. */
  postgresDsn: "postgresDsn",
  /** Redis password, required when `exporters.redis.enabled` and `exporters.redis.auth`. */
  redisPassword: "redisPassword",
  /** Receiver credentials keyed `<receiver>.<integration>[i]` (and `smtp`), see components/alerting/config.ts. */
  alertingSecrets: "alertingSecrets",
  ...logsSecretKeys,
  ...grafanaSecretKeys,
  ...errorTrackingSecretKeys,
  ...backupSecretKeys,
} as const;

export const defaults = { resources: resourceDefaults };
