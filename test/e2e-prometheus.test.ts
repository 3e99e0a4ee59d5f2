import { execFileSync } from "child_process";
import * as net from "net";
import { BLACKBOX_MODULES, renderBlackboxConfig } from "../components/metrics/blackbox-config";
import { PrometheusRenderOptions, renderPrometheusConfig } from "../components/metrics/prometheus-config";
import { bin, describeWithBinaries } from "./helpers/binaries";
import { hasMetric, scrapeMetricNames } from "./helpers/metrics";
import {
  ExporterHandle,
  freePort,
  HttpServerHandle,
  PostgresHandle,
  postgresBin,
  PrometheusHandle,
  PromSample,
  randomSecret,
  RedisHandle,
  startBlackbox,
  startHttpServer,
  startNodeExporter,
  startPostgres,
  startPostgresExporter,
  startPrometheus,
  startRedis,
  startRedisExporter,
  stopAll,
} from "./helpers/processes";

const BINARIES = [
  "prometheus",
  "promtool",
  "node_exporter",
  "blackbox_exporter",
  "postgres_exporter",
  "redis_exporter",
  "redis-server",
  postgresBin("initdb"),
  postgresBin("postgres"),
  postgresBin("psql"),
];

/** Scrapes run every second, so anything not true within this is a real failure, not slowness. */
const SETTLE_MS = 20000;

/** value by label, for a vector whose series differ in that label. */
function byLabel(samples: PromSample[], label: string): Record<string, string> {
  return Object.fromEntries(samples.map((s) => [s.metric[label], s.value[1]]));
}

function byJobAndInstance(a: { job: string; instance: string }, b: { job: string; instance: string }): number {
  return `${a.job} ${a.instance}`.localeCompare(`${b.job} ${b.instance}`);
}

/** Sends inline commands to Redis and returns everything it answered before closing. */
function redisExchange(port: number, commands: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let reply = "";
    socket.setEncoding("utf8");
    socket.setTimeout(5000, () => socket.destroy(new Error(`redis on ${port} did not answer within 5 s; got ${JSON.stringify(reply)}`)));
    socket.on("data", (chunk: string) => (reply += chunk));
    socket.once("error", reject);
    socket.once("close", () => resolve(reply));
    socket.once("connect", () => socket.write([...commands, "QUIT"].map((c) => `${c}\r\n`).join("")));
  });
}

function psql(dsn: string): { code: number; output: string } {
  try {
    const output = execFileSync(postgresBin("psql"), [dsn, "-tAc", "select 1"], { encoding: "utf8", stdio: "pipe", timeout: 10000, env: { ...process.env, PGCONNECT_TIMEOUT: "5" } });
    return { code: 0, output };
  } catch (e: any) {
    return { code: e.status ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

function commandLine(pid: number | undefined): string {
  return execFileSync("ps", ["-ww", "-o", "args=", "-p", String(pid)], { encoding: "utf8" });
}

describeWithBinaries("prometheus stack on real processes at the pinned versions", BINARIES, () => {
  let postgres: PostgresHandle;
  let redis: RedisHandle;
  let nodeExporter: ExporterHandle;
  let blackbox: ExporterHandle;
  let postgresExporter: ExporterHandle;
  let redisExporter: ExporterHandle;
  let live: HttpServerHandle;
  let liveUrl: string;
  let deadUrl: string;
  let prometheus: PrometheusHandle;

  afterAll(stopAll);

  beforeAll(async () => {
    let deadPort: number;
    [postgres, redis, nodeExporter, blackbox, live, deadPort] = await Promise.all([
      startPostgres(),
      startRedis({ password: randomSecret() }),
      startNodeExporter(),
      startBlackbox({ configText: renderBlackboxConfig() }),
      startHttpServer(),
      // Nobody listens here: the probe must see the connection refused.
      freePort(),
    ]);
    liveUrl = `${live.url}/healthz`;
    deadUrl = `http://127.0.0.1:${deadPort}/healthz`;
    [postgresExporter, redisExporter] = await Promise.all([
      startPostgresExporter({ dsn: postgres.dsn }),
      startRedisExporter({ addr: `redis://${redis.address}`, password: redis.password }),
    ]);
    const target = (address: string) => ({ kind: "static" as const, targets: [address] });
    prometheus = await startPrometheus({
      configText: (self) => {
        const opts: PrometheusRenderOptions = {
          scrapeInterval: "1s",
          evaluationInterval: "1s",
          externalLabels: { environment: "e2e" },
          ruleFiles: [],
          alertmanagers: [],
          jobs: [
            { kind: "targets", name: "prometheus", endpoint: target(self.address) },
            { kind: "targets", name: "node-exporter", endpoint: target(nodeExporter.address) },
            { kind: "targets", name: "postgres-exporter", endpoint: target(postgresExporter.address) },
            { kind: "targets", name: "redis-exporter", endpoint: target(redisExporter.address) },
            { kind: "targets", name: "blackbox-exporter", endpoint: target(blackbox.address) },
            { kind: "probe", name: "blackbox-http", exporter: blackbox.address, module: BLACKBOX_MODULES.http, targets: [liveUrl, deadUrl] },
          ],
        };
        return renderPrometheusConfig(opts);
      },
    });
  }, 90000);

  it("renders a config promtool accepts", () => {
    let output: string;
    try {
      output = execFileSync(bin("promtool"), ["check", "config", prometheus.configPath], { encoding: "utf8", stdio: "pipe" });
    } catch (e: any) {
      throw new Error(`promtool check config failed:\n${e.stdout ?? ""}${e.stderr ?? ""}\n--- config ---\n${prometheus.configText}`);
    }
    expect(output).toContain("SUCCESS");
  });

  it("scrapes every target of every job successfully", async () => {
    const expected = [
      ["blackbox-exporter", blackbox.address],
      ["blackbox-http", deadUrl],
      ["blackbox-http", liveUrl],
      ["node-exporter", nodeExporter.address],
      ["postgres-exporter", postgresExporter.address],
      ["prometheus", prometheus.address],
      ["redis-exporter", redisExporter.address],
    ]
      .map(([job, instance]) => ({ job, instance, health: "up", lastError: "" }))
      .sort(byJobAndInstance);
    await prometheus.waitFor(
      async () => {
        const targets = (await prometheus.targets())
          .map((t) => ({ job: t.labels.job, instance: t.labels.instance, health: t.health, lastError: t.lastError }))
          .sort(byJobAndInstance);
        expect(targets).toStrictEqual(expected);
      },
      SETTLE_MS,
      "all targets up",
    );
    const jobs = ["prometheus", "node-exporter", "postgres-exporter", "redis-exporter", "blackbox-exporter", "blackbox-http"];
    // `up` is only written after a scrape; the API's health can be ahead of the query's view.
    await prometheus.waitFor(
      async () => {
        const up = await prometheus.query("min by (job) (up)");
        expect(byLabel(up, "job")).toStrictEqual(Object.fromEntries(jobs.map((j) => [j, "1"])));
      },
      SETTLE_MS,
      "up == 1 for every job",
    );
  });

  it("probes the live URL as a success and the dead one as a failure", async () => {
    await prometheus.waitFor(
      async () => {
        const samples = await prometheus.query(`probe_success{job="blackbox-http"}`);
        expect(byLabel(samples, "instance")).toStrictEqual({ [liveUrl]: "1", [deadUrl]: "0" });
      },
      SETTLE_MS,
      "probe_success by URL",
    );
  });

  it("reaches PostgreSQL and Redis through the exporters with the secret credentials", async () => {
    await prometheus.waitFor(
      async () => {
        const [pg, rd] = await Promise.all([prometheus.query(`pg_up{job="postgres-exporter"}`), prometheus.query(`redis_up{job="redis-exporter"}`)]);
        expect({ pg_up: byLabel(pg, "job"), redis_up: byLabel(rd, "job") }).toStrictEqual({
          pg_up: { "postgres-exporter": "1" },
          redis_up: { "redis-exporter": "1" },
        });
      },
      SETTLE_MS,
      "pg_up and redis_up",
    );
  });

  it("runs databases that refuse a client without the secret, so the exporters' success means the secret worked", async () => {
    const wrongDsn = postgres.dsn.replace(encodeURIComponent(postgres.password), "wrong-password");
    expect(wrongDsn).not.toBe(postgres.dsn);
    const refused = psql(wrongDsn);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/password authentication failed/);
    expect(psql(postgres.dsn)).toStrictEqual({ code: 0, output: "1\n" });

    const reply = await redisExchange(redis.port, ["PING", `AUTH ${redis.password}`, "PING"]);
    expect(reply.split("\r\n").filter(Boolean)).toStrictEqual(["-NOAUTH Authentication required.", "+OK", "+PONG", "+OK"]);
  });

  it("keeps the exporters' secrets off their command lines", () => {
    const pgArgs = commandLine(postgresExporter.process.pid);
    const redisArgs = commandLine(redisExporter.process.pid);
    expect(pgArgs).toContain(bin("postgres_exporter"));
    expect(redisArgs).toContain(bin("redis_exporter"));
    expect(pgArgs).not.toContain(postgres.password);
    expect(redisArgs).not.toContain(redis.password);
  });

  it("collects node-exporter's CPU metrics", async () => {
    await prometheus.waitFor(
      async () => {
        const cpu = await prometheus.query(`count(node_cpu_seconds_total{job="node-exporter"})`);
        expect(cpu).toHaveLength(1);
        expect(Number(cpu[0].value[1])).toBeGreaterThan(0);
      },
      SETTLE_MS,
      "node_cpu_seconds_total",
    );
  });

  it("lists exported metric names, histograms by their base name too", async () => {
    const [node, prom] = await Promise.all([scrapeMetricNames(nodeExporter.metricsUrl), scrapeMetricNames(`${prometheus.url}/metrics`)]);
    expect(hasMetric(node, "node_cpu_seconds_total")).toBe(true);
    expect(hasMetric(node, "node_cpu_seconds")).toBe(false);
    // A histogram: exposed as _bucket/_sum/_count, queried by dashboards under either name.
    expect(prom.has("prometheus_http_request_duration_seconds")).toBe(false);
    expect(prom.has("prometheus_http_request_duration_seconds_bucket")).toBe(true);
    expect(hasMetric(prom, "prometheus_http_request_duration_seconds")).toBe(true);
    expect(hasMetric(prom, "prometheus_http_request_duration_seconds_bucket")).toBe(true);
    expect(hasMetric(prom, "no_such_metric_anywhere")).toBe(false);
  });

  // Last: it takes an exporter down and brings it back.
  it("sees a crashed exporter as down and as up again once it is restarted", async () => {
    const redisUp = async () => byLabel(await prometheus.query(`up{job="redis-exporter"}`), "job")["redis-exporter"];
    await redisExporter.process.kill();
    expect(redisExporter.process.running).toBe(false);
    await prometheus.waitFor(async () => (await redisUp()) === "0", SETTLE_MS, "up{job=redis-exporter} == 0 after the crash");
    await redisExporter.process.restart();
    await prometheus.waitFor(async () => (await redisUp()) === "1", SETTLE_MS, "up{job=redis-exporter} == 1 after the restart");
  });
});
