import { randomBytes } from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { JAEGER_DATA_DIR, JAEGER_PORTS } from "../../components/tracing/jaeger-config";
import { OTELCOL_PORTS } from "../../components/tracing/collector-config";
import { bin } from "./binaries";
import { freePort, ProcessHandle, ProcessOptions, startProcess, tempDir, waitFor } from "./processes";

/**
 * Real OpenTelemetry Collector and Jaeger v2 processes fed the configs our renderers produce, and
 * small clients that send spans (OTLP/HTTP JSON, OTLP/gRPC, Zipkin v2 JSON) and read them back.
 *
 * The renderers write container configs: listeners on `0.0.0.0:<fixed port>`, peers by container
 * name (`jaeger:4317`), data under the image's paths. On one machine those collide with each other
 * and with whatever else runs, so `toLoopback` rewrites exactly those values and nothing else:
 *
 * - every `0.0.0.0:<container port>` string (receivers, extensions, exporters' listeners) becomes
 *   `127.0.0.1:<free port>`, by a table from container port to free port;
 * - every `{ host: "0.0.0.0", port: <container port> }` object (the internal telemetry's Prometheus
 *   reader) becomes `{ host: "127.0.0.1", port: <free port> }`;
 * - every string equal to a given peer address (`jaeger:4317`, `http://loki:3100/otlp`) becomes
 *   that peer's loopback address;
 * - every string under a given data directory (Jaeger's `/var/tmp/...`) moves under a temp dir.
 *
 * The document is parsed and dumped with js-yaml; any `0.0.0.0` or unmapped port left over is an
 * error, so a renderer change that adds a listener fails here instead of binding a fixed port.
 */

const LOOPBACK = "127.0.0.1";

export interface LoopbackMapping {
  /** Container port → port on 127.0.0.1. */
  ports: Record<number, number>;
  /** Peer address as rendered → its loopback replacement. */
  peers?: Record<string, string>;
  /** Data directory as rendered → a directory of this machine. */
  dataDir?: { from: string; to: string };
}

/** One rewritten value: where (a YAML path), what it was, what it became. */
export interface Rewrite {
  path: string;
  from: unknown;
  to: unknown;
}

/** Rewrites the addresses, ports and data paths of a rendered YAML config (see the module comment). */
export function toLoopback(configText: string, mapping: LoopbackMapping): { text: string; rewrites: Rewrite[] } {
  const doc = yaml.load(configText);
  const rewrites: Rewrite[] = [];
  const port = (p: number, where: string): number => {
    const to = mapping.ports[p];
    if (to === undefined) throw new Error(`${where}: container port ${p} has no loopback port (mapped: ${Object.keys(mapping.ports).join(", ")})`);
    return to;
  };
  const rewriteString = (s: string, where: string): string => {
    const listen = /^0\.0\.0\.0:(\d+)$/.exec(s);
    if (listen) return `${LOOPBACK}:${port(Number(listen[1]), where)}`;
    if (mapping.peers && Object.prototype.hasOwnProperty.call(mapping.peers, s)) return mapping.peers[s];
    if (mapping.dataDir && (s === mapping.dataDir.from || s.startsWith(`${mapping.dataDir.from}/`))) return mapping.dataDir.to + s.slice(mapping.dataDir.from.length);
    return s;
  };
  const walk = (node: unknown, where: string): unknown => {
    if (Array.isArray(node)) return node.map((v, i) => walk(v, `${where}[${i}]`));
    if (node !== null && typeof node === "object") {
      const obj = node as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      const hostPort = obj.host === "0.0.0.0" && typeof obj.port === "number";
      for (const [k, v] of Object.entries(obj)) {
        const at = where ? `${where}.${k}` : k;
        let to: unknown;
        if (hostPort && k === "host") to = LOOPBACK;
        else if (hostPort && k === "port") to = port(v as number, at);
        else to = walk(v, at);
        if (to !== v && (typeof v !== "object" || v === null)) rewrites.push({ path: at, from: v, to });
        out[k] = to;
      }
      return out;
    }
    if (typeof node === "string") return rewriteString(node, where);
    return node;
  };
  const rewritten = walk(doc, "");
  const text = yaml.dump(rewritten, { lineWidth: -1, noRefs: true, quotingType: '"' });
  if (text.includes("0.0.0.0")) throw new Error(`toLoopback left a 0.0.0.0 address in:\n${text}`);
  return { text, rewrites };
}

/** `count` distinct ports free on 127.0.0.1 right now. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Starts a server that needs several ports: picks them, builds its options, and retries with
 * fresh ports when one was taken between the pick and the bind.
 */
async function startWithPorts<P extends Record<string, number>>(
  containerPorts: P,
  build: (ports: { [K in keyof P]: number }) => ProcessOptions,
  attempts = 3,
): Promise<{ ports: { [K in keyof P]: number }; process: ProcessHandle }> {
  for (let attempt = 1; ; attempt++) {
    const keys = Object.keys(containerPorts) as (keyof P)[];
    const picked = await freePorts(keys.length);
    const ports = Object.fromEntries(keys.map((k, i) => [k, picked[i]])) as { [K in keyof P]: number };
    try {
      return { ports, process: await startProcess(build(ports)) };
    } catch (e) {
      if (attempt >= attempts || !/address already in use|bind: /i.test(String(e))) throw e;
    }
  }
}

/** container port → loopback port, for the `ports` of `toLoopback`. */
function portTable<P extends Record<string, number>>(containerPorts: P, loopback: { [K in keyof P]: number }): Record<number, number> {
  return Object.fromEntries(Object.entries(containerPorts).map(([k, p]) => [p, loopback[k as keyof P]]));
}

// ---------------------------------------------------------------------------------------------
// Jaeger v2
// ---------------------------------------------------------------------------------------------

/** A span as Jaeger's query API (`/api/traces/<id>`) returns it, with its service resolved. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  serviceName: string;
  /** Tags flattened: attributes, plus what Jaeger derives (`span.kind`, `otel.status_code`, `error`). */
  tags: Record<string, unknown>;
  /** Microseconds. */
  startTime: number;
  duration: number;
  references: { refType: string; traceID: string; spanID: string }[];
}

export interface JaegerHandle {
  /** Loopback ports by `JAEGER_PORTS` key. */
  ports: Record<keyof typeof JAEGER_PORTS, number>;
  /** `127.0.0.1:port` of its OTLP/gRPC receiver: what the collector's backend exporter is rewritten to. */
  otlpGrpcAddress: string;
  /** `http://127.0.0.1:port` of the query API (the UI's port). */
  queryUrl: string;
  /** `127.0.0.1:port` of its own metrics (the `jaeger` scrape job's target). */
  metricsAddress: string;
  configText: string;
  rewrites: Rewrite[];
  process: ProcessHandle;
  /** The trace's spans, or `undefined` while Jaeger does not have it (404). */
  trace(traceId: string): Promise<JaegerSpan[] | undefined>;
  /** Services Jaeger has seen. */
  services(): Promise<string[]>;
}

/** Jaeger v2 (`jaeger --config=<file>`) on 127.0.0.1 with the rendered config, Badger in a temp dir. */
export async function startJaeger(opts: { configText: string; timeoutMs?: number }): Promise<JaegerHandle> {
  const dir = tempDir("jaeger");
  const configPath = path.join(dir, "config.yaml");
  let configText = "";
  let rewrites: Rewrite[] = [];
  const { ports, process: proc } = await startWithPorts(JAEGER_PORTS, (p) => {
    ({ text: configText, rewrites } = toLoopback(opts.configText, { ports: portTable(JAEGER_PORTS, p), dataDir: { from: JAEGER_DATA_DIR, to: path.join(dir, "data") } }));
    fs.writeFileSync(configPath, configText);
    return {
      name: "jaeger",
      command: bin("jaeger"),
      args: [`--config=${configPath}`],
      cwd: dir,
      // The probe the workload uses (healthcheckv2's /status), then the query API answering.
      ready: { http: `http://${LOOPBACK}:${p.health}/status` },
      timeoutMs: opts.timeoutMs ?? 60000,
    };
  });
  const queryUrl = `http://${LOOPBACK}:${ports.query}`;
  // healthcheckv2 can report OK a moment before the query server's listener accepts.
  await waitFor(async () => (await fetch(`${queryUrl}/api/services`, { signal: AbortSignal.timeout(5000) })).ok, 30000, "jaeger query API");
  return {
    ports,
    otlpGrpcAddress: `${LOOPBACK}:${ports.otlpGrpc}`,
    queryUrl,
    metricsAddress: `${LOOPBACK}:${ports.telemetry}`,
    configText,
    rewrites,
    process: proc,
    async trace(traceId) {
      const res = await fetch(`${queryUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(10000) });
      const body = await res.text();
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`GET /api/traces/${traceId}: ${res.status}: ${body.slice(0, 500)}`);
      const json = JSON.parse(body) as {
        data: { traceID: string; spans: (Omit<JaegerSpan, "serviceName" | "tags"> & { processID: string; tags: { key: string; value: unknown }[] })[]; processes: Record<string, { serviceName: string }> }[] | null;
      };
      const data = json.data?.[0];
      if (!data) return undefined;
      return data.spans.map((s) => ({
        traceID: s.traceID,
        spanID: s.spanID,
        operationName: s.operationName,
        serviceName: data.processes[s.processID]?.serviceName,
        tags: Object.fromEntries(s.tags.map((t) => [t.key, t.value])),
        startTime: s.startTime,
        duration: s.duration,
        references: s.references ?? [],
      }));
    },
    async services() {
      const res = await fetch(`${queryUrl}/api/services`, { signal: AbortSignal.timeout(10000) });
      if (!res.ok) throw new Error(`GET /api/services: ${res.status}`);
      return ((await res.json()) as { data: string[] | null }).data ?? [];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// OpenTelemetry Collector
// ---------------------------------------------------------------------------------------------

export interface CollectorHandle {
  ports: Record<keyof typeof OTELCOL_PORTS, number>;
  /** `127.0.0.1:port` of OTLP/gRPC. */
  otlpGrpcAddress: string;
  /** `http://127.0.0.1:port` of OTLP/HTTP (POST `/v1/traces`). */
  otlpHttpUrl: string;
  /** `http://127.0.0.1:port` of the Zipkin receiver (POST `/api/v2/spans`). */
  zipkinUrl: string;
  /** `127.0.0.1:port` of its own metrics (the `otel-collector` scrape job's target). */
  telemetryAddress: string;
  /** `127.0.0.1:port` of the Prometheus exporter (the `spanmetrics` scrape job's target). */
  spanmetricsAddress: string;
  configPath: string;
  configText: string;
  rewrites: Rewrite[];
  process: ProcessHandle;
}

/**
 * `otelcol-contrib --config=<file>` on 127.0.0.1 with the rendered config; `peers` maps the
 * rendered peer addresses (the backend's `jaeger:4317`, Loki's OTLP URL) to loopback ones.
 */
export async function startCollector(opts: { name?: string; configText: string; peers: Record<string, string>; timeoutMs?: number }): Promise<CollectorHandle> {
  const dir = tempDir("otelcol");
  const configPath = path.join(dir, "config.yaml");
  let configText = "";
  let rewrites: Rewrite[] = [];
  const { ports, process: proc } = await startWithPorts(OTELCOL_PORTS, (p) => {
    ({ text: configText, rewrites } = toLoopback(opts.configText, { ports: portTable(OTELCOL_PORTS, p), peers: opts.peers }));
    fs.writeFileSync(configPath, configText);
    return {
      name: opts.name ?? "otelcol",
      command: bin("otelcol-contrib"),
      args: [`--config=${configPath}`],
      cwd: dir,
      // The health_check extension answers 200 once every pipeline has started.
      ready: { http: `http://${LOOPBACK}:${p.health}/` },
      timeoutMs: opts.timeoutMs ?? 60000,
    };
  });
  return {
    ports,
    otlpGrpcAddress: `${LOOPBACK}:${ports.otlpGrpc}`,
    otlpHttpUrl: `http://${LOOPBACK}:${ports.otlpHttp}`,
    zipkinUrl: `http://${LOOPBACK}:${ports.zipkin}`,
    telemetryAddress: `${LOOPBACK}:${ports.telemetry}`,
    spanmetricsAddress: `${LOOPBACK}:${ports.spanmetrics}`,
    configPath,
    configText,
    rewrites,
    process: proc,
  };
}

// ---------------------------------------------------------------------------------------------
// Spans and the wire formats that carry them
// ---------------------------------------------------------------------------------------------

export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer";

/** A span as the tests describe it; the senders translate it to each wire format. */
export interface TestSpan {
  /** 32 hex digits. */
  traceId: string;
  /** 16 hex digits. */
  spanId: string;
  parentSpanId?: string;
  service: string;
  name: string;
  kind: SpanKind;
  /** Epoch milliseconds. */
  startMs: number;
  durationMs: number;
  /** Status ERROR (OTLP) / the `error` tag (Zipkin). */
  error?: boolean;
  attributes: Record<string, string | number | boolean>;
}

export const newTraceId = (): string => randomBytes(16).toString("hex");
export const newSpanId = (): string => randomBytes(8).toString("hex");

const OTLP_KIND: Record<SpanKind, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const ZIPKIN_KIND: Partial<Record<SpanKind, string>> = { server: "SERVER", client: "CLIENT", producer: "PRODUCER", consumer: "CONSUMER" };

const nanos = (ms: number): string => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

function otlpValue(v: string | number | boolean): Record<string, unknown> {
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: v };
}

/** An OTLP/JSON `ExportTraceServiceRequest` (one resource per service; ids in hex, as OTLP/JSON has them). */
export function otlpJson(spans: TestSpan[]): unknown {
  const byService = new Map<string, TestSpan[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
      scopeSpans: [
        {
          scope: { name: "pulumi-observability-e2e" },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
            name: s.name,
            kind: OTLP_KIND[s.kind],
            startTimeUnixNano: nanos(s.startMs),
            endTimeUnixNano: nanos(s.startMs + s.durationMs),
            attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: otlpValue(v) })),
            status: s.error ? { code: 2, message: "failed" } : { code: 0 },
          })),
        },
      ],
    })),
  };
}

/** POSTs spans as OTLP/HTTP JSON to `/v1/traces`; throws unless every span was accepted. */
export async function sendOtlpHttp(baseUrl: string, spans: TestSpan[]): Promise<void> {
  const res = await fetch(`${baseUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(otlpJson(spans)),
    signal: AbortSignal.timeout(20000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${baseUrl}/v1/traces: ${res.status}: ${text.slice(0, 500)}`);
  const body = text ? (JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } }) : {};
  if (Number(body.partialSuccess?.rejectedSpans ?? 0) > 0) throw new Error(`POST ${baseUrl}/v1/traces: rejected ${body.partialSuccess?.rejectedSpans} span(s): ${body.partialSuccess?.errorMessage}`);
}

/** Zipkin v2 JSON (timestamps and durations in microseconds). */
export function zipkinJson(spans: TestSpan[]): unknown[] {
  return spans.map((s) => ({
    traceId: s.traceId,
    id: s.spanId,
    ...(s.parentSpanId ? { parentId: s.parentSpanId } : {}),
    name: s.name,
    ...(ZIPKIN_KIND[s.kind] ? { kind: ZIPKIN_KIND[s.kind] } : {}),
    timestamp: Math.round(s.startMs * 1000),
    duration: Math.round(s.durationMs * 1000),
    localEndpoint: { serviceName: s.service },
    tags: { ...Object.fromEntries(Object.entries(s.attributes).map(([k, v]) => [k, String(v)])), ...(s.error ? { error: "failed" } : {}) },
  }));
}

/** POSTs spans to a Zipkin receiver's `/api/v2/spans`. */
export async function sendZipkin(baseUrl: string, spans: TestSpan[]): Promise<void> {
  const res = await fetch(`${baseUrl}/api/v2/spans`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(zipkinJson(spans)),
    signal: AbortSignal.timeout(20000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${baseUrl}/api/v2/spans: ${res.status}: ${text.slice(0, 500)}`);
}

/**
 * Sends spans over OTLP/gRPC with the OpenTelemetry JS SDK's own exporter (what a Node service
 * would use): the spans are made by a tracer with the ids, times, kinds, status and attributes of
 * `spans`, then exported in one request. Resolves once the collector acknowledged them.
 */
export async function sendOtlpGrpc(address: string, spans: TestSpan[]): Promise<void> {
  const api = await import("@opentelemetry/api");
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { resourceFromAttributes } = await import("@opentelemetry/resources");
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-grpc");
  const { ExportResultCode } = await import("@opentelemetry/core");
  const kinds: Record<SpanKind, number> = {
    internal: api.SpanKind.INTERNAL,
    server: api.SpanKind.SERVER,
    client: api.SpanKind.CLIENT,
    producer: api.SpanKind.PRODUCER,
    consumer: api.SpanKind.CONSUMER,
  };
  const byService = new Map<string, TestSpan[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  const exporter = new OTLPTraceExporter({ url: `http://${address}` });
  try {
    for (const [service, list] of byService) {
      // Ids are the test's: the provider's id generator hands them out in order.
      let next = 0;
      const ids = list.map((s) => s.spanId);
      const memory = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ "service.name": service }),
        spanProcessors: [new SimpleSpanProcessor(memory)],
        idGenerator: { generateTraceId: () => list[Math.min(next, list.length - 1)].traceId, generateSpanId: () => ids[next] },
      });
      const tracer = provider.getTracer("pulumi-observability-e2e");
      for (const s of list) {
        const parent = s.parentSpanId
          ? api.trace.setSpanContext(api.context.active(), { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: api.TraceFlags.SAMPLED, isRemote: true })
          : api.ROOT_CONTEXT;
        const span = tracer.startSpan(s.name, { kind: kinds[s.kind], startTime: new Date(s.startMs), attributes: s.attributes, root: !s.parentSpanId }, parent);
        if (s.error) span.setStatus({ code: api.SpanStatusCode.ERROR, message: "failed" });
        span.end(new Date(s.startMs + s.durationMs));
        next++;
      }
      await provider.forceFlush();
      const finished = memory.getFinishedSpans();
      const got = finished.map((f) => `${f.spanContext().traceId}/${f.spanContext().spanId}`);
      const want = list.map((s) => `${s.traceId}/${s.spanId}`);
      if (got.join() !== want.join()) throw new Error(`the tracer made spans ${got.join(", ")}, expected ${want.join(", ")}`);
      const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(finished as never, resolve));
      if (result.code !== ExportResultCode.SUCCESS) throw new Error(`OTLP/gRPC export to ${address} failed: ${result.error?.message ?? "no error message"}`);
      await provider.shutdown();
    }
  } finally {
    await exporter.shutdown();
  }
}
