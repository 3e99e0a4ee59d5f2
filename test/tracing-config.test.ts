import { z } from "zod";
import { configPath } from "../components/stack/config-loader";
import { ConfigIssue, logsSchema } from "../components/logs/config";
import { hostPortClaims, tracingIssues, tracingSchema } from "../components/tracing/config";

// The loader's format (components/stack/config-loader.ts): `observability:<path>: message`, or a space before is/must/needs.
const text = ([path, message]: ConfigIssue) => `${configPath(path)}${/^(is|must|needs) /.test(message) ? " " : ": "}${message}`;
const schema = z.object({ logs: logsSchema.default({}), tracing: tracingSchema.default({}) });
function schemaErrors(raw: Record<string, unknown>): string[] {
  const parsed = schema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => text([i.path, i.message]));
}
const logs = (raw: Record<string, unknown> = {}) => logsSchema.parse(raw);
const tracing = (raw: Record<string, unknown> = {}) => tracingSchema.parse(raw);

describe("tracing config", () => {
  it("defaults to Jaeger, 7 days, no sampling, OTLP on 4317/4318", () => {
    expect(tracing()).toMatchObject({ enabled: true, backend: "jaeger", retention: "7d", storageSize: "10Gi", tailSampling: { enabled: false, ratio: 0.1, latencyThresholdMs: 500 }, hostPorts: { otlpGrpc: 4317, otlpHttp: 4318 } });
  });

  it.each([
    [{ tracing: { backend: "zipkin" } }, 'observability:tracing.backend: "zipkin" is not a tracing backend (backends: jaeger, tempo)'],
    [{ tracing: { tailSampling: { ratio: 1.5 } } }, "observability:tracing.tailSampling.ratio: 1.5 is not a ratio between 0 and 1 (e.g. 0.1 keeps 10% of ordinary traces)"],
    [{ tracing: { tailSampling: { ratio: -0.1 } } }, "observability:tracing.tailSampling.ratio: -0.1 is not a ratio between 0 and 1 (e.g. 0.1 keeps 10% of ordinary traces)"],
    [{ tracing: { retention: "forever" } }, 'observability:tracing.retention: "forever" is not a duration (e.g. 15d, 12h, 30s)'],
    [{ tracing: { hostPorts: { otlpGrpc: 70000 } } }, "observability:tracing.hostPorts.otlpGrpc must be a port number (1-65535)"],
  ])("%j → %s", (raw, message) => {
    expect(schemaErrors(raw)).toStrictEqual([message]);
  });

  it("accepts the ratio bounds 0 and 1", () => {
    expect(schemaErrors({ tracing: { tailSampling: { ratio: 0 } } })).toStrictEqual([]);
    expect(schemaErrors({ tracing: { tailSampling: { ratio: 1 } } })).toStrictEqual([]);
  });

  it("rejects a latency threshold the decision wait can never see", () => {
    expect(tracingIssues(tracing({ tailSampling: { enabled: true, latencyThresholdMs: 15000, decisionWait: "10s" } })).map(text)).toStrictEqual([
      "observability:tracing.tailSampling.latencyThresholdMs: 15000 is not shorter than tracing.tailSampling.decisionWait (10s): the collector decides before a trace that slow has finished, so the latency policy could never keep it",
    ]);
    expect(tracingIssues(tracing({ tailSampling: { enabled: true, latencyThresholdMs: 9999, decisionWait: "10s" } }))).toStrictEqual([]);
  });

  it("claims the host ports it publishes, the query port following the backend", () => {
    expect(hostPortClaims(logs(), tracing({ backend: "tempo" }))).toStrictEqual([
      [["logs", "hostPort"], 3100],
      [["tracing", "hostPorts", "otlpGrpc"], 4317],
      [["tracing", "hostPorts", "otlpHttp"], 4318],
      [["tracing", "hostPorts", "query"], 3200],
    ]);
    expect(hostPortClaims(logs({ enabled: false }), tracing({ hostPorts: { zipkin: 9411 } })).map(([, p]) => p)).toStrictEqual([4317, 4318, 9411, 16686]);
  });
});
