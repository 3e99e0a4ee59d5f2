import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as yaml from "js-yaml";
import * as net from "net";
import * as path from "path";
import { parseStackConfig } from "../components/stack/config-loader";
import { deployedPartsOf } from "../components/rules/config";
import { StackConfig } from "../components/stack/config-schema";
import { BLACKBOX_MODULES, renderBlackboxConfig } from "../components/metrics/blackbox-config";
import { renderJaegerConfig } from "../components/tracing/jaeger-config";
import { renderCollectorConfig } from "../components/tracing/collector-config";
import { validateStack } from "../components/stack/validate-stack";
import { USER_DASHBOARDS_FOLDER } from "../components/grafana/provisioning";
import { describeWithBinaries } from "./helpers/binaries";
import { selfSignedCert, startHttpsServer } from "./helpers/tls";
import {
  APPLICATION_NAMES,
  dashboardReads,
  isProduced,
  LIVE_ON_EVENT_ONLY,
  LIVE_PARTS,
  LivePart,
  MetricRead,
  Part,
  producingParts,
  ruleReads,
  UPSTREAM_ONLY,
} from "./helpers/metric-producers";
import { scrapeMetricNames } from "./helpers/metrics";
import { randomSecret, startAlertmanager, startBlackbox, startHttpServer, startNodeExporter, startPostgres, startPostgresExporter, startPrometheus, startRedis, startRedisExporter, stopAll, tempDir, waitFor } from "./helpers/processes";
import { secretsFor, stackFileRaw } from "./helpers/stack-files";
import { newSpanId, newTraceId, sendOtlpHttp, startCollector, startJaeger } from "./helpers/tracing";

/**
 * Issue 13, item 2, "Must show": for each of three configs, every metric its dashboards' PromQL
 * and its rules read is produced by a part that config deploys, or recorded by one of its rules.
 * What each part produces: scraped once from the pinned binaries run here with the stack's rendered
 * configs where there is one (Prometheus, Alertmanager, node/blackbox/postgres/redis exporters
 * against a real PostgreSQL and Redis, the OTel collector and Jaeger with spans flowing), and from
 * upstream sources, labelled so, for the parts that cannot run here (test/helpers/metric-producers.ts).
 */

const BINARIES = ["prometheus", "alertmanager", "node_exporter", "blackbox_exporter", "postgres_exporter", "redis_exporter", "redis-server", "otelcol-contrib", "jaeger", "openssl"];

function config(stack: "dev" | "prod"): StackConfig {
  const secrets = secretsFor(stack);
  const alertingKeys = Object.keys(JSON.parse(secrets["observability:alertingSecrets"] ?? "{}") as Record<string, string>);
  return parseStackConfig(stackFileRaw(stack), { names: Object.keys(secrets).map((k) => k.slice(k.indexOf(":") + 1)), alertingKeys });
}

/** Docker, every exporter (postgres, redis, blackbox, cAdvisor, node), logs and tracing off. */
function exportersConfig(): StackConfig {
  const raw = stackFileRaw("dev");
  const secrets = secretsFor("dev");
  const alertingKeys = Object.keys(JSON.parse(secrets["observability:alertingSecrets"]!) as Record<string, string>);
  return parseStackConfig(
    {
      ...raw,
      exporters: {
        node: { enabled: true },
        cadvisor: { enabled: true },
        postgres: { enabled: true },
        redis: { enabled: true, address: "redis://redis:6379" },
        blackbox: { enabled: true, http: ["https://example.com/"] },
      },
      logs: { enabled: false },
      tracing: { enabled: false },
    },
    { names: ["alertingSecrets", "postgresDsn", "redisPassword"], alertingKeys },
  );
}

const CONFIGS: [string, StackConfig][] = [
  ["dev", config("dev")],
  ["prod", config("prod")],
  ["exporters, logs and tracing off", exportersConfig()],
];

/** What a config reads: its built-in dashboards' PromQL (as validateStack plans them) and its rules. */
function readsOf(cfg: StackConfig): { reads: MetricRead[]; recorded: Set<string> } {
  const checked = validateStack(cfg);
  const dashboards = (checked.dashboardPlan?.dashboards ?? []).filter((d) => d.folder !== USER_DASHBOARDS_FOLDER);
  const rules = ruleReads(checked.ruleFiles);
  return { reads: [...dashboardReads(dashboards), ...rules.reads], recorded: rules.recorded };
}

/**
 * Reads known to name a metric the config does not produce, with the reason: asserted exactly, so
 * a new gap fails here and a fixed one must be taken off the list. None now: ContainerRestarting
 * reads only its platform's restart signal and AlertmanagerClusterPeersMissing is rendered for a
 * cluster only (both were gaps this test found).
 */
const KNOWN_GAPS: Record<string, string[]> = {};

describe("which parts produce metrics, from the config's DeployedParts", () => {
  it.each(CONFIGS)("%s", (name, cfg) => {
    const expected: Record<string, Part[]> = {
      dev: ["prometheus", "applications", "node", "cadvisor", "blackbox", "alertmanager", "otelCollector", "spanmetrics", "jaeger", "loki", "alloy", "grafana"],
      prod: ["prometheus", "applications", "node", "cadvisor", "kubeStateMetrics", "kubelet", "postgres", "redis", "blackbox", "alertmanager", "otelCollector", "spanmetrics", "jaeger", "loki", "alloy", "grafana"],
      "exporters, logs and tracing off": ["prometheus", "applications", "node", "cadvisor", "postgres", "redis", "blackbox", "alertmanager", "grafana"],
    };
    expect(producingParts(deployedPartsOf(cfg))).toStrictEqual(expected[name]);
  });
});

describe("names known from upstream sources only", () => {
  const ksm = "/root/go/pkg/mod/k8s.io/kube-state-metrics/v2@v2.20.0/internal/store";
  (fs.existsSync(ksm) ? it : it.skip)("kube-state-metrics': each is a metric family of the v2.20.0 source", () => {
    const source = fs
      .readdirSync(ksm)
      .filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"))
      .map((f) => fs.readFileSync(path.join(ksm, f), "utf8"))
      .join("\n");
    expect(UPSTREAM_ONLY.kubeStateMetrics.names.filter((n) => !source.includes(`"${n}"`))).toStrictEqual([]);
  });

  const otel = "/root/go/pkg/mod/go.opentelemetry.io/collector";
  const otelFiles = [`${otel}/exporter/exporterhelper@v0.161.0/metadata.yaml`, `${otel}/processor/memorylimiterprocessor@v0.161.0/metadata.yaml`];
  (otelFiles.every((f) => fs.existsSync(f)) ? it : it.skip)("the collector's on-failure counters: each is defined by the v0.161.0 metadata.yaml", () => {
    const source = otelFiles.map((f) => fs.readFileSync(f, "utf8")).join("\n");
    // metadata.yaml names them without the `otelcol_` prefix the telemetry adds.
    expect(LIVE_ON_EVENT_ONLY.otelCollector!.names.filter((n) => !source.includes(`${n.replace(/^otelcol_/, "")}:`))).toStrictEqual([]);
  });

  it("are labelled with where they come from", () => {
    for (const [part, u] of Object.entries(UPSTREAM_ONLY)) expect([part, u.source.length > 20, u.names.length > 0]).toStrictEqual([part, true, true]);
  });
});

describeWithBinaries("every metric a config's dashboards and rules read is produced by what it deploys", BINARIES, () => {
  const live = {} as Record<LivePart, Set<string>>;
  /** A gossiping Alertmanager's names: what a config with `alertmanager.replicas` > 1 runs (`live.alertmanager` is a single replica's). */
  let clusteredAlertmanager: Set<string>;

  beforeAll(async () => {
    const dir = tempDir("metrics-produced");
    const tls = selfSignedCert(dir);
    const target = await startHttpsServer(tls.key, tls.cert);
    servers.push(target.server);

    const pg = await startPostgres();
    const password = randomSecret();
    const redisServer = await startRedis({ password });
    // The stack's blackbox modules; only the trust store differs (a real site's chain is in the system's).
    const blackboxConfig = yaml.load(renderBlackboxConfig()) as { modules: Record<string, { http?: { tls_config: Record<string, unknown> } }> };
    blackboxConfig.modules[BLACKBOX_MODULES.http].http!.tls_config.ca_file = tls.certFile;
    const jaeger = await startJaeger({ configText: renderJaegerConfig({ retention: "1d" }) });
    // Loki is AGPL and never run here: an HTTP server takes the collector's OTLP logs in its place,
    // so the collector runs the logs pipeline the dev and prod configs render.
    const loki = await startHttpServer({ status: 204, body: "" });
    const [node, pgExporter, redisExporter, blackbox, collector] = await Promise.all([
      startNodeExporter(),
      startPostgresExporter({ dsn: pg.dsn }),
      startRedisExporter({ addr: `redis://${redisServer.address}`, password }),
      startBlackbox({ configText: yaml.dump(blackboxConfig) }),
      startCollector({
        configText: renderCollectorConfig({ backendOtlpEndpoint: "jaeger:4317", lokiOtlpEndpoint: "http://loki:3100/otlp" }),
        peers: { "jaeger:4317": jaeger.otlpGrpcAddress, "http://loki:3100/otlp": `${loki.url}/otlp` },
      }),
    ]);
    const am = await startAlertmanager({ configText: "route:\n  receiver: none\nreceivers:\n  - name: none\n" });
    // Two Alertmanagers gossiping, as a config with replicas > 1 runs them: cluster metrics exist only then.
    const peer = await startAlertmanager({ configText: "route:\n  receiver: none\nreceivers:\n  - name: none\n", peers: [] });
    const clustered = await startAlertmanager({ configText: "route:\n  receiver: none\nreceivers:\n  - name: none\n", peers: [peer.clusterAddress!] });
    // An alert that always fires, so that ALERTS and ALERTS_FOR_STATE exist; itself scraped, so the per-target series do.
    const prom = await startPrometheus({
      configText: ({ address }) =>
        `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: ["rules/*.yml"]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["${am.address}"]\n` +
        `scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ["${address}"]\n`,
      ruleFiles: { "always.yml": "groups:\n  - name: always\n    rules:\n      - alert: Always\n        expr: vector(1)\n" },
    });

    // Spans through the collector to Jaeger, so spanmetrics and both sides' span counters exist; one read of Jaeger's storage.
    const traceId = newTraceId();
    await sendOtlpHttp(collector.otlpHttpUrl, [{ traceId, spanId: newSpanId(), service: "metrics-produced", name: "GET /", kind: "server", startMs: Date.now() - 20, durationMs: 10, attributes: {} }]);
    await waitFor(async () => (await jaeger.trace(traceId)) !== undefined, 30000, "the span in Jaeger");
    // One metric point and one log record too: the collector counts each signal from its first item.
    await postOtlp(`${collector.otlpHttpUrl}/v1/metrics`, {
      resourceMetrics: [{ resource: RESOURCE, scopeMetrics: [{ metrics: [{ name: "produced_probe", gauge: { dataPoints: [{ timeUnixNano: nowNanos(), asDouble: 1 }] } }] }] }],
    });
    await postOtlp(`${collector.otlpHttpUrl}/v1/logs`, {
      resourceLogs: [{ resource: RESOURCE, scopeLogs: [{ logRecords: [{ timeUnixNano: nowNanos(), severityText: "INFO", body: { stringValue: "metrics-produced" } }] }] }],
    });

    const probeUrl = `http://${blackbox.address}/probe?module=${BLACKBOX_MODULES.http}&target=${encodeURIComponent(target.url)}`;
    live.node = await scrapeMetricNames(node.metricsUrl);
    live.postgres = await scrapeMetricNames(pgExporter.metricsUrl);
    live.redis = await scrapeMetricNames(redisExporter.metricsUrl);
    live.blackbox = new Set([...(await scrapeMetricNames(blackbox.metricsUrl)), ...(await scrapeMetricNames(probeUrl))]);
    live.alertmanager = await scrapeMetricNames(`${am.url}/metrics`);
    clusteredAlertmanager = await waitFor(async () => {
      const names = await scrapeMetricNames(`${clustered.url}/metrics`);
      return names.has("alertmanager_cluster_members") && names;
    }, 30000, "a clustered Alertmanager's metrics");
    live.otelCollector = await waitFor(async () => {
      const names = await scrapeMetricNames(`http://${collector.telemetryAddress}/metrics`);
      const sent = ["spans", "metric_points", "log_records"].every((signal) => [...names].some((n) => n.startsWith(`otelcol_exporter_sent_${signal}`)));
      return sent && names;
    }, 30000, "the collector's span counters");
    live.spanmetrics = await waitFor(async () => {
      const names = await scrapeMetricNames(`http://${collector.spanmetricsAddress}/metrics`);
      // The connector flushes on its own interval; the OTLP metric point above comes out here too.
      return [...names].some((n) => n.startsWith("traces_span_metrics_")) && names;
    }, 30000, "span metrics");
    await jaeger.services();
    live.jaeger = await scrapeMetricNames(`http://${jaeger.metricsAddress}/metrics`);
    // Prometheus' own /metrics, and the series it synthesises (per-target up and scrape_*, ALERTS*).
    await prom.waitFor(async () => (await prom.query("ALERTS_FOR_STATE")).length > 0, 30000, "the always-firing alert");
    const stored = await prom.api<string[]>("/api/v1/label/__name__/values");
    live.prometheus = new Set([...(await scrapeMetricNames(`${prom.url}/metrics`)), ...stored]);
  }, 180000);

  const servers: https.Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await stopAll();
  });

  /** Every name each part of the config produces, by part. */
  function producedBy(cfg: StackConfig): Map<Part, Set<string>> {
    const out = new Map<Part, Set<string>>();
    for (const part of producingParts(deployedPartsOf(cfg))) {
      if (part === "applications") out.set(part, new Set(APPLICATION_NAMES.names));
      else if (part === "alertmanager") out.set(part, cfg.alertmanager.replicas > 1 ? clusteredAlertmanager : live.alertmanager);
      else if ((LIVE_PARTS as readonly string[]).includes(part)) out.set(part, new Set([...live[part as LivePart], ...(LIVE_ON_EVENT_ONLY[part as LivePart]?.names ?? [])]));
      else out.set(part, new Set(UPSTREAM_ONLY[part as keyof typeof UPSTREAM_ONLY].names));
    }
    return out;
  }

  it("scraped every live part", () => {
    for (const part of LIVE_PARTS) expect([part, live[part].size > 0]).toStrictEqual([part, true]);
    // The ones a dashboard reads, as a sanity check that the scrape saw the real thing.
    expect(live.blackbox.has("probe_ssl_earliest_cert_expiry")).toBe(true);
    expect(live.prometheus.has("ALERTS")).toBe(true);
    expect(live.postgres.has("pg_up")).toBe(true);
    // A single replica runs with gossip off (`--cluster.listen-address=`): no cluster metrics.
    expect([live.alertmanager.has("alertmanager_cluster_members"), clusteredAlertmanager.has("alertmanager_cluster_members")]).toStrictEqual([false, true]);
  });

  it.each(CONFIGS)("%s: every metric read is produced by a part it deploys or recorded by its rules", (name, cfg) => {
    const { reads, recorded } = readsOf(cfg);
    expect(reads.length).toBeGreaterThan(50);
    const produced = new Set([...[...producedBy(cfg).values()].flatMap((s) => [...s]), ...recorded]);
    const missing = reads.filter((r) => !isProduced(r.name, produced)).map((r) => `${r.name} (${r.where})`);
    expect([...new Set(missing)].sort()).toStrictEqual(KNOWN_GAPS[name] ?? []);
  });

  it("prints which part produces what each config reads (upstream-only names labelled)", () => {
    const lines: string[] = [];
    for (const [name, cfg] of CONFIGS) {
      const by = producedBy(cfg);
      const names = [...new Set(readsOf(cfg).reads.map((r) => r.name))].sort();
      const label = (part: Part, n: string): string => {
        if (part === "applications") return "applications (not the stack)";
        if (!(LIVE_PARTS as readonly string[]).includes(part)) return `${part} (upstream source)`;
        return isProduced(n, live[part as LivePart]) ? `${part} (live)` : `${part} (upstream source: only after an event)`;
      };
      const from = (n: string) => [...by.entries()].filter(([, s]) => isProduced(n, s)).map(([part]) => label(part, n));
      lines.push(`${name}: ${names.length} names`, ...names.map((n) => `  ${n} <- ${from(n).join(", ") || "recording rule"}`));
    }
    // eslint-disable-next-line no-console
    if (process.env.PRINT_PRODUCERS) console.log(lines.join("\n"));
    expect(lines.length).toBeGreaterThan(CONFIGS.length);
  });
});

const RESOURCE = { attributes: [{ key: "service.name", value: { stringValue: "metrics-produced" } }] };
const nowNanos = () => String(BigInt(Date.now()) * 1000000n);

async function postOtlp(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(20000) });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status}: ${(await res.text()).slice(0, 500)}`);
}

