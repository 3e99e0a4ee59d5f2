import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseStackConfig } from "../components/stack/config-loader";
import { StackConfig } from "../components/stack/config-schema";
import { tracingIssues, tracingSchema } from "../components/tracing/config";
import { prometheusSpec } from "../components/metrics/workloads";
import { renderJaegerConfig } from "../components/tracing/jaeger-config";
import { renderCollectorConfig, SPANMETRICS } from "../components/tracing/collector-config";
import { durationSeconds, renderPrometheusConfig } from "../components/metrics/prometheus-config";
import { tracingJobNames } from "../components/tracing/tracing-stack";
import { dashboardMetricNames } from "../dashboards/validate";
import { stackHealth } from "../dashboards/stack-health";
import { tracesDashboard } from "../dashboards/traces";
import { bin, describeWithBinaries } from "./helpers/binaries";
import { PrometheusHandle, sleep, startHttpServer, startPrometheus, stopAll, tempDir, waitFor } from "./helpers/processes";
import { secretsFor, stackFileRaw } from "./helpers/stack-files";
import {
  CollectorHandle,
  JaegerHandle,
  JaegerSpan,
  newSpanId,
  newTraceId,
  sendOtlpGrpc,
  sendOtlpHttp,
  sendZipkin,
  startCollector,
  startJaeger,
  TestSpan,
} from "./helpers/tracing";

/**
 * The tracing pipeline on the pinned upstream binaries (the toolchain's otelcol-contrib, Jaeger v2
 * and Prometheus), each fed the config our renderers produce for the dev stack, moved to loopback
 * ports by `toLoopback` (test/helpers/tracing.ts: only listen addresses, peer addresses and data
 * paths are rewritten):
 *
 *   spans ──OTLP/gRPC, OTLP/HTTP, Zipkin──► collector ──OTLP/gRPC──► Jaeger ◄── query API (the test)
 *                                             │ spanmetrics (every span, before sampling)
 *                                             ▼
 *                 Prometheus (the stack's rendered scrape jobs, the stack's feature flags)
 *
 * Two collectors run side by side: the dev stack's (tail sampling off) and the same stack with
 * tail sampling on, both exporting to the one Jaeger.
 */

const BINARIES = ["otelcol-contrib", "jaeger", "prometheus"];

/** What the Docker platform names the peers in the rendered configs (`DockerPlatform.address`). */
const RENDERED_BACKEND = "jaeger:4317";
const RENDERED_LOKI_OTLP = "http://loki:3100/otlp";

/** Tail sampling under test: the schema's defaults (latency 500 ms, decision wait 10 s) with this ratio. */
const SAMPLING_RATIO = 0.25;
/** Traces of each kind sent through the sampling collector; the ordinary ones are what the ratio is measured over. */
const ORDINARY_TRACES = 1200;
const ERROR_TRACES = 100;
const SLOW_TRACES = 100;

/** Unique per run, so a rerun against leftover data cannot pass on old spans. */
const RUN = randomBytes(3).toString("hex");

function stackConfig(stack: "dev" | "prod"): StackConfig {
  const secrets = secretsFor(stack);
  const alertingKeys = Object.keys(JSON.parse(secrets["observability:alertingSecrets"] ?? "{}") as Record<string, string>);
  const names = Object.keys(secrets).map((k) => k.slice(k.indexOf(":") + 1));
  return parseStackConfig(stackFileRaw(stack), { names, alertingKeys });
}

/** The collector config `TracingStack` renders for a stack config on Docker (Loki's OTLP endpoint when logs are on, as `ObservabilityStack` passes it). */
function collectorConfigOf(cfg: StackConfig, tailSampling = cfg.tracing.tailSampling): string {
  return renderCollectorConfig({ backendOtlpEndpoint: RENDERED_BACKEND, tailSampling, lokiOtlpEndpoint: cfg.logs.enabled ? RENDERED_LOKI_OTLP : undefined });
}

/** The dev stack with tail sampling switched on at `SAMPLING_RATIO`, through the schema (defaults and cross-field checks included). */
function samplingTracing(cfg: StackConfig) {
  const raw = stackFileRaw("dev").tracing as Record<string, unknown>;
  const tracing = tracingSchema.parse({ ...raw, tailSampling: { enabled: true, ratio: SAMPLING_RATIO } });
  expect(tracingIssues(tracing)).toStrictEqual([]);
  expect(tracing.tailSampling).toMatchObject({ ...cfg.tracing.tailSampling, enabled: true, ratio: SAMPLING_RATIO });
  return tracing;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}


/** A two-span trace: a SERVER root and a CLIENT child, the child optionally failed. */
function twoSpanTrace(service: string, opts: { rootName: string; childName: string; durationMs: number; error?: boolean; attributes?: TestSpan["attributes"] }): TestSpan[] {
  const traceId = newTraceId();
  const rootId = newSpanId();
  const startMs = Date.now() - opts.durationMs - 50;
  const attributes = opts.attributes ?? {};
  return [
    { traceId, spanId: rootId, service, name: opts.rootName, kind: "server", startMs, durationMs: opts.durationMs, attributes },
    {
      traceId,
      spanId: newSpanId(),
      parentSpanId: rootId,
      service,
      name: opts.childName,
      kind: "client",
      startMs: startMs + 1,
      durationMs: Math.max(1, opts.durationMs - 2),
      error: opts.error,
      attributes: { ...attributes, "peer.service": "db" },
    },
  ];
}

/** Bounded per-id lookups of many traces in Jaeger. */
async function findTraces(jaeger: JaegerHandle, ids: readonly string[]): Promise<Map<string, JaegerSpan[]>> {
  const found = new Map<string, JaegerSpan[]>();
  await mapLimit(ids, 8, async (id) => {
    const spans = await jaeger.trace(id);
    if (spans) found.set(id, spans);
  });
  return found;
}

/** POSTs one OTLP/JSON log record to the collector's `/v1/logs`. */
async function sendOtlpLogs(baseUrl: string, service: string, body: string): Promise<void> {
  const res = await fetch(`${baseUrl}/v1/logs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
          scopeLogs: [{ scope: { name: "pulumi-observability-e2e" }, logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1000000n), severityText: "INFO", body: { stringValue: body } }] }],
        },
      ],
    }),
    signal: AbortSignal.timeout(20000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${baseUrl}/v1/logs: ${res.status}: ${text.slice(0, 500)}`);
}

describeWithBinaries("tracing pipeline on the pinned collector, Jaeger v2 and Prometheus", BINARIES, () => {
  const dev = stackConfig("dev");
  let jaeger: JaegerHandle;
  let collector: CollectorHandle;
  let sampler: CollectorHandle;
  let prometheus: PrometheusHandle;
  let prometheusFlags: string[];

  afterAll(stopAll);

  beforeAll(async () => {
    const started = Date.now();
    jaeger = await startJaeger({ configText: renderJaegerConfig({ retention: dev.tracing.retention }) });
    // Loki is AGPL and never run here: an HTTP server stands in for its OTLP endpoint, so the dev
    // stack's logs pipeline starts as rendered. It refuses every request (400), which the last test
    // uses to see the exporter's failure counter.
    const loki = await startHttpServer({ status: 400, body: "refused by the test\n" });
    const peers = { [RENDERED_BACKEND]: jaeger.otlpGrpcAddress, [RENDERED_LOKI_OTLP]: `${loki.url}/otlp` };
    [collector, sampler] = await Promise.all([
      startCollector({ name: "otelcol", configText: collectorConfigOf(dev), peers }),
      startCollector({ name: "otelcol-sampling", configText: collectorConfigOf(dev, samplingTracing(dev).tailSampling), peers }),
    ]);
    // The flags the stack's Prometheus runs with when tracing is on (exemplar storage).
    prometheusFlags = prometheusSpec(dev.prometheus, { containerMetrics: "cadvisor", clusterState: false, scheduledJobs: "loop" }, "", {}, false, true).args!.filter((a) => a.startsWith("--enable-feature"));
    const target = (...targets: string[]) => ({ kind: "static" as const, targets });
    prometheus = await startPrometheus({
      configText: renderPrometheusConfig({
        scrapeInterval: "1s",
        evaluationInterval: "1s",
        externalLabels: { environment: "e2e" },
        ruleFiles: [],
        alertmanagers: [],
        // The jobs `TracingStack.scrapeJobs` declares, with the two collectors as targets of each.
        jobs: [
          { kind: "targets", name: tracingJobNames.collector, endpoint: target(collector.telemetryAddress, sampler.telemetryAddress) },
          { kind: "targets", name: tracingJobNames.spanmetrics, endpoint: target(collector.spanmetricsAddress, sampler.spanmetricsAddress) },
          { kind: "targets", name: tracingJobNames.jaeger, endpoint: target(jaeger.metricsAddress) },
        ],
      }),
      extraArgs: prometheusFlags,
    });
    // eslint-disable-next-line no-console
    console.log(`tracing e2e: Jaeger, two collectors and Prometheus ready in ${Date.now() - started} ms`);
  }, 180000);

  it("runs the rendered configs: validate accepts dev, prod and tail sampling; no deprecation warnings", () => {
    expect(prometheusFlags).toContain("--enable-feature=exemplar-storage");
    const dir = tempDir("otelcol-validate");
    const prod = stackConfig("prod");
    const configs: Record<string, string> = {
      "collector-dev": collectorConfigOf(dev),
      "collector-prod": collectorConfigOf(prod),
      "collector-tail-sampling": collectorConfigOf(dev, samplingTracing(dev).tailSampling),
      "jaeger-dev": renderJaegerConfig({ retention: dev.tracing.retention }),
      "jaeger-prod": renderJaegerConfig({ retention: prod.tracing.retention }),
    };
    for (const [name, text] of Object.entries(configs)) {
      const file = path.join(dir, `${name}.yaml`);
      fs.writeFileSync(file, text);
      const binary = name.startsWith("jaeger") ? bin("jaeger") : bin("otelcol-contrib");
      let output: string;
      try {
        output = execFileSync(binary, ["validate", `--config=${file}`], { encoding: "utf8", stdio: "pipe", timeout: 60000 });
      } catch (e: any) {
        throw new Error(`${path.basename(binary)} validate rejected ${name}:\n${e.stdout ?? ""}${e.stderr ?? ""}\n--- config ---\n${text}`);
      }
      expect([name, output]).not.toEqual([name, expect.stringMatching(/deprecat/i)]);
    }
    // What `toLoopback` changed in the configs the processes run: listeners, peers, data paths, nothing else.
    const telemetry = ["service.telemetry.metrics.readers[0].pull.exporter.prometheus.host", "service.telemetry.metrics.readers[0].pull.exporter.prometheus.port"];
    expect(collector.rewrites.map((r) => r.path).sort()).toStrictEqual(
      [
        "extensions.health_check.endpoint",
        "receivers.otlp.protocols.grpc.endpoint",
        "receivers.otlp.protocols.http.endpoint",
        "receivers.zipkin.endpoint",
        "exporters.otlp_grpc/backend.endpoint",
        "exporters.prometheus.endpoint",
        "exporters.otlp_http/loki.endpoint",
        ...telemetry,
      ].sort(),
    );
    expect(jaeger.rewrites.map((r) => r.path).sort()).toStrictEqual(
      [
        "extensions.healthcheckv2.http.endpoint",
        "extensions.jaeger_storage.backends.badger_main.badger.directories.keys",
        "extensions.jaeger_storage.backends.badger_main.badger.directories.values",
        "extensions.jaeger_query.http.endpoint",
        "extensions.jaeger_query.grpc.endpoint",
        "receivers.otlp.protocols.grpc.endpoint",
        ...telemetry,
      ].sort(),
    );
    // The running processes too: a renamed component or field is accepted with a warning for a while.
    for (const p of [collector.process, sampler.process, jaeger.process]) {
      expect([p.name, p.output().split("\n").filter((l) => /deprecat/i.test(l))]).toStrictEqual([p.name, []]);
    }
  });

  it("returns spans sent over OTLP/gRPC, OTLP/HTTP and Zipkin from Jaeger with service, operation, kind, status and attributes", async () => {
    const protocols = ["grpc", "http", "zipkin"] as const;
    const sent = Object.fromEntries(
      protocols.map((proto) => [
        proto,
        twoSpanTrace(`e2e-${proto}-${RUN}`, {
          rootName: `GET /orders/{id} via ${proto}`,
          childName: `SELECT orders (${proto})`,
          durationMs: 42,
          error: true,
          attributes: { "http.request.method": "GET", "http.response.status_code": 200, "e2e.protocol": proto, "e2e.retry": true, "e2e.ratio": 0.5 },
        }),
      ]),
    ) as Record<(typeof protocols)[number], TestSpan[]>;
    await Promise.all([
      sendOtlpGrpc(collector.otlpGrpcAddress, sent.grpc),
      sendOtlpHttp(collector.otlpHttpUrl, sent.http),
      sendZipkin(collector.zipkinUrl, sent.zipkin),
    ]);
    for (const proto of protocols) {
      const spans = sent[proto];
      const traceId = spans[0].traceId;
      const got = await waitFor(
        async () => {
          const trace = await jaeger.trace(traceId);
          if (!trace || trace.length < spans.length) throw new Error(`trace ${traceId} (${proto}): ${trace?.length ?? 0} of ${spans.length} spans in Jaeger`);
          return trace;
        },
        60000,
        `the ${proto} trace in Jaeger`,
        500,
      );
      expect(got).toHaveLength(spans.length);
      for (const want of spans) {
        const span = got.find((s) => s.spanID === want.spanId);
        expect(span).toBeDefined();
        expect({ proto, service: span!.serviceName, operation: span!.operationName, kind: span!.tags["span.kind"] }).toStrictEqual({
          proto,
          service: want.service,
          operation: want.name,
          kind: want.kind,
        });
        // Zipkin tags are strings on the wire; OTLP keeps the attribute types.
        for (const [key, value] of Object.entries(want.attributes)) {
          expect({ proto, key, value: span!.tags[key] }).toStrictEqual({ proto, key, value: proto === "zipkin" ? String(value) : value });
        }
        expect({ proto, span: want.name, status: span!.tags["otel.status_code"] ?? "UNSET" }).toStrictEqual({ proto, span: want.name, status: want.error ? "ERROR" : "UNSET" });
        // The duration survives every format (Jaeger keeps microseconds).
        expect(Math.abs(span!.duration - want.durationMs * 1000)).toBeLessThanOrEqual(1000);
        if (want.parentSpanId) expect(span!.references).toContainEqual({ refType: "CHILD_OF", traceID: traceId, spanID: want.parentSpanId });
      }
    }
  }, 120000);

  it("turns every span into spanmetrics in Prometheus, under the dashboards' names, with exemplars carrying the trace ids", async () => {
    const service = `e2e-red-${RUN}`;
    // Ten traces, three of them failed, each a SERVER and a CLIENT span.
    const traces = Array.from({ length: 10 }, (_, i) =>
      twoSpanTrace(service, { rootName: "POST /checkout", childName: "charge card", durationMs: 20 + i * 30, error: i < 3, attributes: { "http.request.method": "POST", "http.response.status_code": i < 3 ? 502 : 201 } }),
    );
    const traceIds = new Set(traces.map((t) => t[0].traceId));
    await sendOtlpHttp(collector.otlpHttpUrl, traces.flat());

    // The dashboards (traces, Grafana's traces → metrics links) read exactly these names.
    expect(dashboardMetricNames(tracesDashboard("jaeger").build())).toStrictEqual([SPANMETRICS.calls, SPANMETRICS.durationBucket].sort());
    const { service: svc, span: spanLabel, kind, status } = SPANMETRICS.labels;
    // Flushed every 15 s by the connector, scraped every second. A new `calls` series is exported as 0
    // at its first flush and with its count from the next one (upstream, so that Prometheus' rate()
    // sees the first increase): up to two flushes.
    const calls = await waitFor(
      async () => {
        const rows = await prometheus.query(`sum by (${svc}, ${spanLabel}, ${kind}, ${status}, http_response_status_code) (${SPANMETRICS.calls}{job="${tracingJobNames.spanmetrics}", ${svc}="${service}"})`);
        const total = rows.reduce((n, r) => n + Number(r.value[1]), 0);
        if (total < 20) throw new Error(`${total} of 20 calls so far: ${JSON.stringify(rows.map((r) => [r.metric, r.value[1]]))}`);
        return rows;
      },
      60000,
      `${SPANMETRICS.calls} of ${service}`,
    );
    const table = Object.fromEntries(calls.map((r) => [`${r.metric[spanLabel]}|${r.metric[kind]}|${r.metric[status]}|${r.metric.http_response_status_code}`, Number(r.value[1])]));
    expect(table).toStrictEqual({
      "POST /checkout|SPAN_KIND_SERVER|STATUS_CODE_UNSET|502": 3,
      "POST /checkout|SPAN_KIND_SERVER|STATUS_CODE_UNSET|201": 7,
      "charge card|SPAN_KIND_CLIENT|STATUS_CODE_ERROR|502": 3,
      "charge card|SPAN_KIND_CLIENT|STATUS_CODE_UNSET|201": 7,
    });

    // The latency histogram: every span counted once, in seconds (the root spans take 20..290 ms).
    const buckets = await prometheus.query(`sum by (le) (${SPANMETRICS.durationBucket}{${svc}="${service}", ${spanLabel}="POST /checkout"})`);
    const le = Object.fromEntries(buckets.map((b) => [b.metric.le, Number(b.value[1])]));
    expect({ "0.01": le["0.01"], "0.025": le["0.025"], "0.1": le["0.1"], "0.25": le["0.25"], "0.5": le["0.5"], "+Inf": le["+Inf"] }).toStrictEqual({
      "0.01": 0,
      "0.025": 1,
      "0.1": 3,
      "0.25": 8,
      "0.5": 10,
      "+Inf": 10,
    });

    // Exemplars: stored by Prometheus (exemplar-storage), each naming one of the traces just sent.
    const exemplars = await waitFor(
      async () => {
        const now = Date.now() / 1000;
        const data = await prometheus.api<{ seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[]>("/api/v1/query_exemplars", {
          query: `${SPANMETRICS.durationBucket}{${svc}="${service}"}`,
          start: String(now - 600),
          end: String(now + 60),
        });
        const all = data.flatMap((s) => s.exemplars.map((e) => ({ ...e, series: s.seriesLabels })));
        if (all.length === 0) throw new Error("no exemplars yet");
        return all;
      },
      30000,
      `exemplars of ${service}`,
    );
    for (const e of exemplars) {
      expect(traceIds).toContain(e.labels.trace_id);
      expect(e.labels.span_id).toMatch(/^[0-9a-f]{16}$/);
      // The exemplar's value is that span's duration, and it sits in the right bucket.
      const span = traces.flat().find((s) => s.spanId === e.labels.span_id)!;
      expect(span).toBeDefined();
      expect(Number(e.value)).toBeCloseTo(span.durationMs / 1000, 2);
      expect(Number(e.value)).toBeLessThanOrEqual(Number(e.series.le));
    }
    // The trace an exemplar names is in Jaeger: the metrics → traces link lands on a trace.
    const linked = await waitFor(async () => (await jaeger.trace(exemplars[0].labels.trace_id)) ?? false, 30000, "the exemplar's trace in Jaeger", 500);
    expect(linked.map((s) => s.serviceName)).toContain(service);
  }, 120000);

  it(`tail sampling keeps every error trace, every slow trace and ${SAMPLING_RATIO * 100}% of the others (${ORDINARY_TRACES} traces, ±4σ)`, async () => {
    const service = `e2e-sampling-${RUN}`;
    const sampling = samplingTracing(dev).tailSampling;
    const slowMs = sampling.latencyThresholdMs + 300;
    const ordinary = Array.from({ length: ORDINARY_TRACES }, (_, i) => twoSpanTrace(service, { rootName: "GET /ordinary", childName: "work", durationMs: 5 + (i % 79) * 5 }));
    const errors = Array.from({ length: ERROR_TRACES }, () => twoSpanTrace(service, { rootName: "GET /failing", childName: "work", durationMs: 30, error: true }));
    const slow = Array.from({ length: SLOW_TRACES }, () => twoSpanTrace(service, { rootName: "GET /slow", childName: "work", durationMs: slowMs }));
    // Ordinary traces stay under the threshold (at most 395 ms), so only the ratio can keep them.
    expect(Math.max(...ordinary.map((t) => t[0].durationMs))).toBeLessThan(sampling.latencyThresholdMs);
    const all = [...ordinary, ...errors, ...slow];
    // Interleaved, so no batch is all of one kind; both spans of a trace travel together.
    all.sort(() => Math.random() - 0.5);
    const sendStarted = Date.now();
    for (let i = 0; i < all.length; i += 100) await sendOtlpHttp(sampler.otlpHttpUrl, all.slice(i, i + 100).flat());
    const sendMs = Date.now() - sendStarted;

    // Every span reaches spanmetrics, sampled or not: RED metrics are computed before sampling.
    const spansSent = all.length * 2;
    await waitFor(
      async () => {
        const [row] = await prometheus.query(`sum(${SPANMETRICS.calls}{${SPANMETRICS.labels.service}="${service}"})`);
        const n = Number(row?.value[1] ?? 0);
        if (n !== spansSent) throw new Error(`${n} of ${spansSent} spans counted`);
        return true;
      },
      60000,
      "spanmetrics of every sent span",
    );

    // Decisions come `decisionWait` after a trace's first span; the batch processors add up to 5 s.
    const decisionWaitMs = durationSeconds(sampling.decisionWait) * 1000;
    await sleep(Math.max(0, sendStarted + decisionWaitMs + 5000 - Date.now()));
    // Then count in Jaeger until it holds exactly the traces the collector says it kept, once the
    // collector has decided on every trace sent (its own counter; this collector sees no other traffic).
    const ids = (list: TestSpan[][]) => list.map((t) => t[0].traceId);
    const kept = new Map<string, JaegerSpan[]>();
    const pending = new Set(ids(all));
    const decisions = await waitFor(
      async () => {
        const rows = await prometheus.query(`sum by (sampled) ({__name__=~"otelcol_processor_tail_sampling_global_count_traces_sampled(_total)?", instance="${sampler.telemetryAddress}"})`);
        const by = Object.fromEntries(rows.map((r) => [r.metric.sampled, Number(r.value[1])]));
        for (const [id, spans] of await findTraces(jaeger, [...pending])) {
          // Counted once whole: Jaeger may be between writing a trace's two spans.
          if (spans.length < 2) continue;
          kept.set(id, spans);
          pending.delete(id);
        }
        expect({ decided: (by.true ?? 0) + (by.false ?? 0), inJaeger: kept.size }).toStrictEqual({ decided: all.length, inJaeger: by.true });
        return by;
      },
      90000,
      "every sampling decision made and every kept trace in Jaeger",
      3000,
    );
    const count = (list: TestSpan[][]) => ids(list).filter((id) => kept.has(id)).length;
    const n = ORDINARY_TRACES;
    const p = SAMPLING_RATIO;
    const mean = n * p;
    const sigma = Math.sqrt(n * p * (1 - p));
    const result = {
      decisions,
      errorsKept: count(errors),
      slowKept: count(slow),
      ordinaryKept: count(ordinary),
      ordinaryShare: count(ordinary) / n,
      tolerance: `${mean} ± ${(4 * sigma).toFixed(1)} (4σ, σ = √(n·p·(1−p)) = ${sigma.toFixed(2)})`,
      sendMs,
    };
    // eslint-disable-next-line no-console
    console.log(`tail sampling: ${JSON.stringify(result)}`);
    expect(result.errorsKept).toBe(ERROR_TRACES);
    expect(result.slowKept).toBe(SLOW_TRACES);
    // Binomial(n, p): outside mean ± 4σ by chance about 6 times in 100 000 runs.
    expect(result.ordinaryKept).toBeGreaterThanOrEqual(Math.ceil(mean - 4 * sigma));
    expect(result.ordinaryKept).toBeLessThanOrEqual(Math.floor(mean + 4 * sigma));
    // A kept trace is kept whole (both spans, and no more), the failed one still failed.
    for (const [id, spans] of kept) expect([id, spans.length]).toStrictEqual([id, 2]);
    for (const id of ids(errors)) expect(kept.get(id)!.some((s) => s.tags["otel.status_code"] === "ERROR")).toBe(true);
    for (const id of ids(slow)) expect(Math.max(...kept.get(id)!.map((s) => s.duration))).toBeGreaterThanOrEqual(sampling.latencyThresholdMs * 1000);
  }, 240000);

  it("has Prometheus scrape the collectors' and Jaeger's own metrics, with the names the stack-health dashboard reads", async () => {
    // Traffic of this test's own through both receivers the dashboards break down.
    const service = `e2e-self-${RUN}`;
    await sendOtlpHttp(collector.otlpHttpUrl, twoSpanTrace(service, { rootName: "a", childName: "b", durationMs: 10 }));
    await sendZipkin(collector.zipkinUrl, twoSpanTrace(service, { rootName: "c", childName: "d", durationMs: 10 }));

    const up = await waitFor(
      async () => {
        const rows = await prometheus.query(`up`);
        const down = rows.filter((r) => r.value[1] !== "1");
        if (rows.length < 5 || down.length > 0) throw new Error(`targets: ${JSON.stringify(rows.map((r) => [r.metric.job, r.metric.instance, r.value[1]]))}`);
        return rows;
      },
      30000,
      "every tracing target up",
    );
    expect(up.map((r) => `${r.metric.job} ${r.metric.instance}`).sort()).toStrictEqual(
      [
        `${tracingJobNames.collector} ${collector.telemetryAddress}`,
        `${tracingJobNames.collector} ${sampler.telemetryAddress}`,
        `${tracingJobNames.jaeger} ${jaeger.metricsAddress}`,
        `${tracingJobNames.spanmetrics} ${collector.spanmetricsAddress}`,
        `${tracingJobNames.spanmetrics} ${sampler.spanmetricsAddress}`,
      ].sort(),
    );

    // Spans accepted per receiver: the counter the dashboard's "accepted spans" panel reads.
    const accepted = await waitFor(
      async () => {
        const rows = await prometheus.query(`sum by (receiver, transport) ({__name__=~"otelcol_receiver_accepted_spans(_total)?", job="${tracingJobNames.collector}", instance="${collector.telemetryAddress}"})`);
        const by = Object.fromEntries(rows.map((r) => [`${r.metric.receiver}/${r.metric.transport}`, Number(r.value[1])]));
        // Zipkin's transport is named after its wire format (`http_v2_json`).
        if (!(by["otlp/http"] >= 2 && by["zipkin/http_v2_json"] >= 2)) throw new Error(`accepted spans so far: ${JSON.stringify(by)}`);
        return by;
      },
      30000,
      "accepted spans by receiver",
    );
    // Each receiver and transport is counted apart (OTLP/gRPC too, once the round-trip test has run).
    expect(Object.keys(accepted)).toEqual(expect.arrayContaining(["otlp/http", "zipkin/http_v2_json"]));

    // The exporters' failure counters exist only once something failed (exporterhelper adds to them
    // only when items failed): Loki's stand-in refuses this log record, so `send_failed_log_records`
    // appears; the spans and metric points variants are the same code path with another signal.
    await sendOtlpLogs(collector.otlpHttpUrl, service, "a log record Loki's stand-in refuses");

    // Every otelcol_* name or pattern of the stack-health dashboard has a series from the collector job.
    const names = dashboardMetricNames(stackHealth.build()).filter((n) => /^~?otelcol_/.test(n));
    const onlyOnFailure = /send_failed_(spans|metric_points)/;
    expect(names.length).toBeGreaterThan(0);
    const selectorOf = (name: string) =>
      name.startsWith("~") ? `{__name__=~"${name.slice(1)}", job="${tracingJobNames.collector}"}` : `${name}{job="${tracingJobNames.collector}"}`;
    await waitFor(
      async () => {
        const missingNames: string[] = [];
        for (const name of names.filter((n) => !onlyOnFailure.test(n))) if ((await prometheus.query(`count(${selectorOf(name)})`)).length === 0) missingNames.push(name);
        expect(missingNames).toStrictEqual([]);
        return true;
      },
      30000,
      "the stack-health dashboard's collector metrics",
    );

    // Jaeger's own metrics (the `jaeger` job): its OTLP receiver counted the spans the collectors exported.
    const jaegerAccepted = await prometheus.query(`sum({__name__=~"otelcol_receiver_accepted_spans(_total)?", job="${tracingJobNames.jaeger}"})`);
    expect(Number(jaegerAccepted[0]?.value[1] ?? 0)).toBeGreaterThan(0);
  }, 120000);
});
