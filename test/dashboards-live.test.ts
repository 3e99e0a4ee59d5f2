import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { jobNames } from "../components/metrics/job-names";
import { renderRuleFiles } from "../components/rules/rule-files";
import { Dashboard } from "../dashboards/common";
import { host } from "../dashboards/host";
import { postgres } from "../dashboards/postgres";
import { probes } from "../dashboards/probes";
import { redis } from "../dashboards/redis";
import { stackHealth } from "../dashboards/stack-health";
import { dashboardMetricNames, extractQueries, substituteVariables, variableNames } from "../dashboards/validate";
import { describeWithBinaries } from "./helpers/binaries";
import { selfSignedCert, startHttpsServer } from "./helpers/tls";
import {
  ExporterHandle,
  PrometheusHandle,
  randomSecret,
  startAlertmanager,
  startBlackbox,
  startNodeExporter,
  startPostgres,
  startPostgresExporter,
  startPrometheus,
  startRedis,
  startRedisExporter,
  stopAll,
  tempDir,
  waitFor,
} from "./helpers/processes";

/**
 * Every PromQL query of the exporter-backed dashboards, run against a real Prometheus scraping
 * real exporters, must return data: a metric name that an exporter does not export, a label it
 * does not have, or a filter that drops every series shows up here as an empty result.
 */

// Fast scrapes so that rate() over a short window has two samples within seconds.
const SCRAPE = "1s";
const WINDOW = "15s";

/**
 * Stack-health rows for components this test does not run (Loki and Grafana are AGPL and never
 * run here; the OTel collector is not part of this pipeline): their queries are left out, and
 * counted so the list cannot grow unseen.
 */
const NOT_RUN_HERE = /^~?(loki_|otelcol_|grafana_)/;


describeWithBinaries(
  "dashboards against real exporters",
  ["prometheus", "alertmanager", "node_exporter", "blackbox_exporter", "postgres_exporter", "redis_exporter", "redis-server", "openssl"],
  () => {
    let prom: PrometheusHandle;
    let httpsServer: https.Server | undefined;
    const values: Record<string, Record<string, string>> = {};

    beforeAll(async () => {
      const dir = tempDir("dashboards-live");
      const tls = selfSignedCert(dir);
      const target = await startHttpsServer(tls.key, tls.cert);
      httpsServer = target.server;

      const pg = await startPostgres();
      const password = randomSecret();
      const redisServer = await startRedis({ password });
      const [node, pgExporter, redisExporter, blackbox] = await Promise.all([
        startNodeExporter(),
        startPostgresExporter({ dsn: pg.dsn }),
        startRedisExporter({ addr: `redis://${redisServer.address}`, password }),
        startBlackbox({ configText: `modules:\n  https_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      tls_config:\n        ca_file: ${tls.certFile}\n` }),
      ]);
      const am = await startAlertmanager({ configText: "route:\n  receiver: none\nreceivers:\n  - name: none\n" });

      prom = await startPrometheus({
        configText: ({ address }) => prometheusConfig({ self: address, node, pgExporter, redisExporter, blackbox, alertmanager: am.address, probeTarget: target.url }),
        // The stack's own rule files, as it deploys them: the dashboards read series they record.
        ruleFiles: renderRuleFiles(),
      });
      await prom.waitFor(async () => (await prom.query("up == 1")).length === 6, 30000, "all six targets up");
      // Recording rules write nothing before their first evaluation with two scrapes in the window.
      await prom.waitFor(async () => (await prom.query("instance:node_cpu_utilisation:rate5m")).length > 0, 30000, "a first evaluation of the node rules");

      const common = { __rate_interval: WINDOW, __interval: WINDOW, __range: "1m" };
      values[host.uid] = { ...common, instance: node.address };
      values[probes.uid] = { ...common, instance: target.url };
      values[postgres.uid] = { ...common, instance: pgExporter.address, datname: "postgres" };
      values[redis.uid] = { ...common, instance: redisExporter.address };
      values[stackHealth.uid] = common;
    }, 120000);

    afterAll(async () => {
      await new Promise<void>((resolve) => (httpsServer ? httpsServer.close(() => resolve()) : resolve()));
      httpsServer?.closeAllConnections();
      await stopAll();
    });

    /** The dashboard's PromQL queries with the test's variable values, minus the rows not run here. */
    function queries(d: Dashboard): Array<{ location: string; expr: string }> {
      const json = d.build();
      const names = variableNames(json);
      return extractQueries(json)
        .filter((q) => q.language === "promql")
        .map((q) => ({ location: q.location, expr: substituteVariables(q.expr, names, values[d.uid]) }))
        .filter((q) => !dashboardMetricNames({ panels: [{ datasource: { type: "prometheus" }, targets: [{ expr: q.expr }] }] }).some((n) => NOT_RUN_HERE.test(n)));
    }

    it("leaves out exactly the Loki, collector and Grafana queries of stack health", () => {
      const run = new Set(queries(stackHealth).map((q) => q.location));
      const left = extractQueries(stackHealth.build())
        .filter((q) => q.language === "promql" && !run.has(q.location))
        .map((q) => q.location);
      expect(left).toEqual([
        `panel "Loki version" query A`,
        `panel "Lines received" query A`,
        `panel "Loki 5xx responses" query A`,
        `panel "Spans accepted / refused" query A`,
        `panel "Spans accepted / refused" query B`,
        `panel "Export failures" query A`,
        `panel "Export failures" query B`,
        `panel "Export failures" query C`,
        `panel "Exporter queue size" query A`,
        `panel "Grafana version" query A`,
        `panel "Grafana HTTP requests by status" query A`,
      ]);
    });

    it.each([host, probes, postgres, redis, stackHealth].map((d) => [d.uid, d] as const))("%s: every query returns data", async (_uid, d) => {
      const list = queries(d);
      expect(list.length).toBeGreaterThan(0);
      const empty: string[] = [];
      for (const q of list) {
        // Polled: the first scrapes may not yet give rate() its two samples.
        const ok = await waitFor(async () => (await prom.query(q.expr)).length > 0, 20000, q.location).catch(() => false);
        if (!ok) empty.push(`${q.location}: ${q.expr}`);
      }
      expect(empty).toEqual([]);
    });
  },
);

/** Scrape jobs named as the stack names them (`jobNames`): the stack-health queries select on them. */
function prometheusConfig(t: {
  self: string;
  node: ExporterHandle;
  pgExporter: ExporterHandle;
  redisExporter: ExporterHandle;
  blackbox: ExporterHandle;
  alertmanager: string;
  probeTarget: string;
}): string {
  const job = (name: string, target: string) => `  - job_name: ${name}\n    static_configs:\n      - targets: ["${target}"]\n`;
  return [
    `global:\n  scrape_interval: ${SCRAPE}\n  evaluation_interval: ${SCRAPE}\n`,
    `rule_files: ["rules/*.yml"]\n`,
    `alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["${t.alertmanager}"]\n`,
    `scrape_configs:\n`,
    job(jobNames.prometheus, t.self),
    job(jobNames.node, t.node.address),
    job(jobNames.postgres, t.pgExporter.address),
    job(jobNames.redis, t.redisExporter.address),
    job(jobNames.alertmanager, t.alertmanager),
    `  - job_name: ${jobNames.probeHttp}\n    metrics_path: /probe\n    params:\n      module: [https_2xx]\n    static_configs:\n      - targets: ["${t.probeTarget}"]\n`,
    `    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - source_labels: [__param_target]\n        target_label: instance\n      - target_label: __address__\n        replacement: ${t.blackbox.address}\n`,
  ].join("");
}
