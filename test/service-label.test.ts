import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, resolveOutput, settle } from "./helpers/mocks";
import { describeWithBinaries } from "./helpers/binaries";
import { promtoolCheckConfig } from "./helpers/promtool";
import { PrometheusHandle, startPrometheus, stopAll } from "./helpers/processes";

installMocks({ stack: "labels" });
import { ObservabilityStack } from "../components/stack/observability-stack";
import { parsePromQL } from "../components/shared/promql";
import { http as redDashboard } from "../dashboards/http";
import { extractQueries, substituteVariables, variableNames } from "../dashboards/validate";

/**
 * One label model for services: every monitored service carries the same `service` label however
 * it is found, and the HTTP RED dashboard (its service variable and panels), the recording rules,
 * the SLO rules and the runbook queries all select and group by it. Here the stack's own rendered
 * scrape configs (a Docker stack and a Kubernetes stack, built under mocks) are run by the pinned
 * Prometheus 3.16 with the stack's own rule files, scraping one real HTTP endpoint per service on
 * loopback, each exposing `http_requests_total` and `http_request_duration_seconds` with an error
 * share and a latency of its own: a service summed with another would show another's numbers.
 *
 * Found each way:
 * - static targets of `services:` (checkout, with an SLO of its own) and of `scrapeTargets` (search);
 * - a Kubernetes selector of `services:` (cart);
 * - Docker discovery (shop: its Compose service; pricing: its `prometheus.io/service` label over
 *   its Compose service `api`; legacy-billing: its container name only), all in the job `discovered`;
 * - Kubernetes discovery (catalog: `app.kubernetes.io/name`; ledger: its `prometheus.io/service`
 *   annotation over its labels; stock: its `app` label; worker: its container's name only).
 *
 * Docker and Kubernetes discovery cannot run here (no Docker API with labelled containers, no API
 * server): their jobs run with `static_configs` in place of `docker_sd_configs` /
 * `kubernetes_sd_configs`, each target carrying the `__meta_*` labels that discovery would set
 * (documented in Prometheus' configuration reference), so the rendered relabel_configs do the
 * rest exactly as deployed. The server-side filters of discovery (the Docker label filter, the
 * pod selectors and namespaces) are what such a target list stands for; promtool checks the
 * discovery blocks as rendered.
 */

// ---------------------------------------------------------------------------------------------
// The services' endpoints

interface Service {
  name: string;
  /** Requests per second. */
  rate: number;
  /** Share of 5xx. */
  errors: number;
  /** Every request takes between BOUNDS[bucket - 1] (or 0) and BOUNDS[bucket] seconds. */
  bucket: number;
  /** A `service` label the application puts on its own series (kept as `exported_service`). */
  ownServiceLabel?: string;
}

const BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const SERVICES: Service[] = [
  { name: "checkout", rate: 5, errors: 0.02, bucket: 2 },
  { name: "search", rate: 3, errors: 0.04, bucket: 1 },
  { name: "cart", rate: 2, errors: 0.06, bucket: 3 },
  { name: "shop", rate: 4, errors: 0.08, bucket: 0 },
  { name: "pricing", rate: 6, errors: 0.1, bucket: 4, ownServiceLabel: "api-internal" },
  { name: "legacy-billing", rate: 1, errors: 0.12, bucket: 5 },
  { name: "catalog", rate: 7, errors: 0.14, bucket: 6 },
  { name: "ledger", rate: 2, errors: 0.16, bucket: 2 },
  { name: "stock", rate: 3, errors: 0.18, bucket: 4 },
  { name: "worker", rate: 1, errors: 0.2, bucket: 1 },
];

/** The p50 histogram_quantile gives when every request falls in one bucket: its middle. */
const p50 = (s: Service) => ((s.bucket === 0 ? 0 : BOUNDS[s.bucket - 1]) + BOUNDS[s.bucket]) / 2;

/** The service's counters so far, in the text exposition format, growing at its rate from `start`. */
function exposition(s: Service, start: number): string {
  const total = (s.rate * (Date.now() - start)) / 1000;
  const own = s.ownServiceLabel ? `service="${s.ownServiceLabel}",` : "";
  const l = (extra: string) => `{${own}route="/api"${extra}}`;
  const lines = [
    "# TYPE http_requests_total counter",
    `http_requests_total${l(',status="200"')} ${total * (1 - s.errors)}`,
    `http_requests_total${l(',status="500"')} ${total * s.errors}`,
    "# TYPE http_request_duration_seconds histogram",
    ...BOUNDS.map((b, i) => `http_request_duration_seconds_bucket${l(`,le="${b}"`)} ${i >= s.bucket ? total : 0}`),
    `http_request_duration_seconds_bucket${l(',le="+Inf"')} ${total}`,
    `http_request_duration_seconds_sum${l("")} ${total * p50(s)}`,
    `http_request_duration_seconds_count${l("")} ${total}`,
  ];
  return lines.join("\n") + "\n";
}

async function serve(s: Service, start: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(exposition(s, start));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return { server, port: (server.address() as net.AddressInfo).port };
}

// ---------------------------------------------------------------------------------------------
// The stacks' rendered configs

interface Rendered {
  config: any;
  text: string;
  rules: Record<string, string>;
}

async function rendered(s: ObservabilityStack): Promise<Rendered> {
  await settle();
  const spec = s.prometheus.workloads.find((w) => w.name === "prometheus")!;
  const rules: Record<string, string> = {};
  for (const f of spec.files!.filter((f) => f.path.includes("/rules/"))) rules[path.basename(f.path)] = await resolveOutput(pulumi.output(f.content));
  const text = await resolveOutput(s.prometheus.configText);
  return { config: yaml.load(text), text, rules };
}

const job = (r: Rendered, name: string) => {
  const found = r.config.scrape_configs.find((j: any) => j.job_name === name);
  if (!found) throw new Error(`no job ${name} in the rendered config`);
  return JSON.parse(JSON.stringify(found));
};

/** A discovery-based job with targets given as discovery would give them (see the file's comment). */
function asDiscovered(j: any, sd: "docker_sd_configs" | "kubernetes_sd_configs", targets: Array<{ address: string; meta: Record<string, string> }>, name = j.job_name): any {
  expect(j[sd]).toBeDefined();
  const { [sd]: _replaced, ...rest } = j;
  return { ...rest, job_name: name, static_configs: targets.map((t) => ({ targets: [t.address], labels: t.meta })) };
}

const docker = (port: number, container: string, labels: Record<string, string>) => ({
  // docker_sd gives the container's network address and an exposed port; prometheus.io/port picks the port.
  address: "127.0.0.1:80",
  meta: {
    __meta_docker_container_name: `/${container}`,
    __meta_docker_container_label_prometheus_io_scrape: "true",
    __meta_docker_container_label_prometheus_io_port: String(port),
    ...Object.fromEntries(Object.entries(labels).map(([k, v]) => [`__meta_docker_container_label_${k.replace(/[^a-zA-Z0-9_]/g, "_")}`, v])),
  },
});

const pod = (port: number, podName: string, container: string, more: Record<string, string>) => ({
  // kubernetes_sd (role pod) gives one target per container port: the pod IP and that port.
  address: `127.0.0.1:${port}`,
  meta: {
    __meta_kubernetes_namespace: "shop",
    __meta_kubernetes_pod_name: podName,
    __meta_kubernetes_pod_phase: "Running",
    __meta_kubernetes_pod_container_name: container,
    __meta_kubernetes_pod_container_port_name: "metrics",
    ...more,
  },
});

// ---------------------------------------------------------------------------------------------

/** The backticked PromQL of a runbook that names `<service>`: the queries an on-call engineer runs. */
function runbookQueries(alert: string): string[] {
  const text = fs.readFileSync(path.join(__dirname, "..", "docs", "runbooks", `${alert}.md`), "utf8");
  const snippets = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((q) => q.includes("<service>"));
  // LogQL (`{service="<service>"} |= "error"`) is not PromQL; everything else must parse.
  return snippets.filter((q) => !q.includes("|=")).map((q) => {
    expect({ q, parsed: parsePromQL(q.replace(/<service>/g, "x")) }).toEqual({ q, parsed: { ok: true } });
    return q;
  });
}

/** Queries that read a service's own objectives: only a service with an `slo` has them. */
const OWN_SLO = /service:slo_|over_slo_latency/;

describeWithBinaries("one service label, however the service is found (the pinned Prometheus scraping real endpoints)", ["prometheus", "promtool"], () => {
  const servers: http.Server[] = [];
  const ports: Record<string, number> = {};
  let dockerStack: Rendered;
  let kubernetesStack: Rendered;
  let prom: PrometheusHandle;

  beforeAll(async () => {
    const start = Date.now();
    for (const s of SERVICES) {
      const { server, port } = await serve(s, start);
      servers.push(server);
      ports[s.name] = port;
    }
    const base = { logs: { enabled: false }, tracing: { enabled: false }, grafana: { enabled: false } };
    const secrets = { alertingSecrets: { "default.webhook[0]": pulumi.secret("https://hooks.example.com/default") } };
    const d = new ObservabilityStack("lbl-docker", {
      config: {
        platform: "docker",
        name: "lbld",
        ...base,
        services: [{ name: "checkout", targets: [`127.0.0.1:${ports.checkout}`], slo: { availability: 0.999, latencyP95: "250ms" } }],
        scrapeTargets: [{ job: "search", targets: [`127.0.0.1:${ports.search}`] }],
      } as never,
      secrets,
    });
    dockerStack = await rendered(d);
    const k = new ObservabilityStack("lbl-k8s", {
      config: { platform: "kubernetes", name: "lblk", ...base, services: [{ name: "cart", kubernetes: { namespace: "shop", selector: { app: "cart" } } }] } as never,
      secrets,
    });
    kubernetesStack = await rendered(k);

    const scrapeConfigs = [
      job(dockerStack, "checkout"),
      job(dockerStack, "search"),
      asDiscovered(job(dockerStack, "discovered"), "docker_sd_configs", [
        docker(ports.shop, "lbld-shop-1", { "com.docker.compose.service": "shop" }),
        docker(ports.pricing, "lbld-api-1", { "com.docker.compose.service": "api", "prometheus.io/service": "pricing" }),
        docker(ports["legacy-billing"], "legacy-billing", {}),
      ]),
      asDiscovered(job(kubernetesStack, "cart"), "kubernetes_sd_configs", [pod(ports.cart, "cart-7d9c-x2", "app", { __meta_kubernetes_pod_label_app: "cart" })]),
      // One Prometheus stands in for both platforms' (a stack runs on one), so the Kubernetes
      // stack's `discovered` job is renamed beside the Docker stack's.
      asDiscovered(
        job(kubernetesStack, "discovered"),
        "kubernetes_sd_configs",
        [
          pod(ports.catalog, "catalog-0", "server", { __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true", __meta_kubernetes_pod_label_app_kubernetes_io_name: "catalog", __meta_kubernetes_pod_label_app: "catalog-old" }),
          pod(ports.ledger, "ledger-0", "server", {
            __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true",
            __meta_kubernetes_pod_annotation_prometheus_io_service: "ledger",
            __meta_kubernetes_pod_label_app_kubernetes_io_name: "ledger-api",
            __meta_kubernetes_pod_label_app: "ledger-old",
          }),
          pod(ports.stock, "stock-0", "server", { __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true", __meta_kubernetes_pod_label_app: "stock" }),
          pod(ports.worker, "worker-5f-abc", "worker", { __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true" }),
        ],
        "discovered-kubernetes",
      ),
    ];
    // The rendered jobs as they are, under fast intervals so that rates have two samples in seconds.
    const configText = yaml.dump({ global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" }, rule_files: ["rules/*.yml"], scrape_configs: scrapeConfigs }, { lineWidth: -1 });
    prom = await startPrometheus({ configText, ruleFiles: dockerStack.rules });
    await prom.waitFor(async () => (await prom.query("up == 1")).length === SERVICES.length, 30000, "every service's target up");
    // Every service with a label in the raw series has its recorded ones (the tests say which are missing).
    await prom.waitFor(
      async () => {
        const services = (await prom.query('count by (service) (http_requests_total{service!=""})')).length;
        const quantiles = (await prom.query("service_quantile:http_request_duration_seconds:histogram_quantile")).length;
        const errors = (await prom.query("service:http_errors:ratio_rate5m")).length;
        return services > 0 && quantiles === services * 3 && errors === services;
      },
      30000,
      "the recorded series of every service",
    );
  }, 120000);

  afterAll(async () => {
    for (const s of servers) {
      await new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
    }
    await stopAll();
  });

  it("promtool accepts both stacks' configs as rendered, their discovery blocks and rule files included", () => {
    for (const r of [dockerStack, kubernetesStack]) {
      const result = promtoolCheckConfig(r.text, r.rules);
      expect(result.output).toContain("SUCCESS");
      expect(result.code).toBe(0);
    }
  });

  it("every target carries its own service label; job stays the scrape job", async () => {
    const targets = await prom.targets();
    const seen = Object.fromEntries(targets.map((t) => [t.labels.service, t.labels.job]).sort());
    expect(seen).toStrictEqual({
      cart: "cart",
      catalog: "discovered-kubernetes",
      checkout: "checkout",
      ledger: "discovered-kubernetes",
      "legacy-billing": "discovered",
      pricing: "discovered",
      search: "search",
      shop: "discovered",
      stock: "discovered-kubernetes",
      worker: "discovered-kubernetes",
    });
  });

  it("the service label of the target wins over one the application exports, which is kept as exported_service", async () => {
    const series = await prom.query('http_requests_total{job="discovered", exported_service!=""}');
    expect([...new Set(series.map((s) => `${s.metric.service}/${s.metric.exported_service}`))]).toStrictEqual(["pricing/api-internal"]);
  });

  it("the HTTP RED dashboard's service variable lists each service on its own", async () => {
    const variable = (redDashboard.build().templating?.list ?? []).find((v) => v.name === "service") as unknown as { query: string | { query: string } };
    const query = typeof variable.query === "string" ? variable.query : variable.query.query;
    // Grafana runs label_values(<selector>, <label>) as the label values API with match[].
    const [, selector, label] = /^label_values\((.+),\s*(\w+)\)$/.exec(query)!;
    const values = await prom.api<string[]>(`/api/v1/label/${label}/values`, { "match[]": selector });
    expect(values).toStrictEqual(SERVICES.map((s) => s.name).sort());
  });

  it("records each service's own rate, error ratio and quantiles, not those of its job", async () => {
    const byService = async (q: string) => Object.fromEntries((await prom.query(q)).map((s) => [s.metric.service, Number(s.value[1])]));
    const rates = await byService("service:http_requests:rate5m");
    expect(Object.keys(rates).sort()).toStrictEqual(SERVICES.map((s) => s.name).sort());
    for (const s of SERVICES) expect({ service: s.name, positive: rates[s.name] > 0 }).toStrictEqual({ service: s.name, positive: true });
    // Both counters of a service grow together, so the ratio is exact: any other service summed in would move it.
    const errors = await byService("service:http_errors:ratio_rate5m");
    const statuses = await byService('sum by (service) (service_status:http_requests:rate5m{status="500"}) / sum by (service) (service_status:http_requests:rate5m)');
    const quantiles = await byService('service_quantile:http_request_duration_seconds:histogram_quantile{quantile="0.5"}');
    const round = (n: number) => Math.round(n * 1e6) / 1e6;
    const got = SERVICES.map((s) => ({ service: s.name, errors: round(errors[s.name]), byStatus: round(statuses[s.name]), p50: round(quantiles[s.name]) }));
    expect(got).toStrictEqual(SERVICES.map((s) => ({ service: s.name, errors: s.errors, byStatus: s.errors, p50: round(p50(s)) })));
  });

  it("every query of the HTTP RED dashboard returns the selected service's data, for each service", async () => {
    const json = redDashboard.build();
    const names = variableNames(json);
    const queries = extractQueries(json).filter((q) => q.language === "promql" && q.location.startsWith("panel "));
    expect(queries.length).toBeGreaterThan(5);
    const empty: string[] = [];
    for (const s of SERVICES) {
      for (const q of queries) {
        const expr = substituteVariables(q.expr, names, { service: s.name, __rate_interval: "15s", __interval: "15s", __range: "1m" });
        const result = await prom.query(expr);
        // Per-service panels must show this service and only it.
        const services = [...new Set(result.map((r) => r.metric.service).filter((v) => v !== undefined))];
        if (result.length === 0 || services.some((v) => v !== s.name)) empty.push(`${s.name}: ${q.location}: ${expr} -> ${JSON.stringify(result.map((r) => r.metric))}`);
      }
    }
    expect(empty).toEqual([]);
  });

  it.each(["HttpErrorBudgetBurn", "HttpLatencyBudgetBurn", "HttpSloLatencyBoundNotABucket"])("the runbook queries of %s find each service by its service label", async (alert) => {
    const queries = runbookQueries(alert);
    expect(queries.length).toBeGreaterThanOrEqual(2);
    const wrong: string[] = [];
    for (const s of SERVICES) {
      for (const q of queries) {
        const expr = q.replace(/<service>/g, s.name);
        const result = await prom.query(expr);
        // Objectives exist only for a service with an SLO of its own (checkout); every other query finds every service.
        const expected = !OWN_SLO.test(q) || s.name === "checkout";
        if ((result.length > 0) !== expected) wrong.push(`${s.name}: ${expr} -> ${result.length} series, expected ${expected ? "some" : "none"}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
