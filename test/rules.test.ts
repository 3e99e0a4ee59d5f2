import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { alertNames, defaultThresholds, isAlert, renderRuleFiles, ruleGroups, RuleThresholds } from "../components/rules/rule-files";
import { parsePromQL } from "../components/shared/promql";
import { describeWithBinaries } from "./helpers/binaries";
import { run } from "./helpers/promtool";

const ROOT = path.join(__dirname, "..");
const RULES_DIR = path.join(ROOT, "rules");
const TESTS_DIR = path.join(RULES_DIR, "tests");
const RUNBOOKS_DIR = path.join(ROOT, "docs", "runbooks");

const ruleFileNames = () => fs.readdirSync(RULES_DIR).filter((f) => f.endsWith(".yml")).sort();
const testFileNames = () => fs.readdirSync(TESTS_DIR).filter((f) => f.endsWith(".yml")).sort();
const allRules = () => ruleGroups().flatMap((g) => g.rules);
const allAlerts = () => allRules().filter(isAlert);

describe("committed rule files", () => {
  it("are exactly the render of the default thresholds (run `npx ts-node --transpile-only scripts/render-rules.ts` to regenerate)", () => {
    const rendered = renderRuleFiles();
    expect(ruleFileNames()).toEqual(Object.keys(rendered).sort());
    for (const [name, text] of Object.entries(rendered)) {
      expect({ name, text: fs.readFileSync(path.join(RULES_DIR, name), "utf8") }).toEqual({ name, text });
    }
  });

  it("render one file per group, named after it, holding only that group", () => {
    const files = renderRuleFiles();
    for (const group of ruleGroups()) {
      const parsed = yaml.load(files[`${group.name}.yml`]) as { groups: { name: string }[] };
      expect(parsed.groups.map((g) => g.name)).toEqual([group.name]);
    }
    expect(Object.keys(files)).toEqual([
      "targets.yml", "node.yml", "containers.yml", "postgres.yml", "redis.yml", "blackbox.yml", "http-slo.yml", "http-red.yml", "prometheus.yml", "alertmanager.yml",
      "otel-collector.yml", "jaeger.yml", "tempo.yml", "loki.yml", "alloy.yml", "grafana.yml", "opensearch.yml", "error-tracking.yml", "backups.yml", "kubernetes.yml", "kubernetes-storage.yml", "kubernetes-control-plane.yml",
    ]);
  });

  it("render the same bytes twice", () => {
    expect(renderRuleFiles()).toEqual(renderRuleFiles());
  });
});

describe("every alert", () => {
  it.each(allAlerts().map((a) => [`${a.alert} (${a.labels.long ?? a.labels.severity})`, a] as const))("%s has for, severity, summary, description and a runbook that exists", (_, a) => {
    if (a.alert === "Watchdog") {
      // Fires from the first evaluation on purpose: a dead man's switch must not wait.
      expect(a.for).toBeUndefined();
      expect(a.labels.severity).toBe("none");
    } else {
      expect(a.for).toMatch(/^\d+[smhd]$/);
      expect(["critical", "warning", "info"]).toContain(a.labels.severity);
    }
    expect(a.annotations.summary.length).toBeGreaterThan(10);
    expect(a.annotations.description.length).toBeGreaterThan(a.annotations.summary.length / 2);
    expect(a.annotations.runbook_url).toBe(`https://github.com/pulumi-observability/pulumi-observability/blob/main/docs/runbooks/${a.alert}.md`);
    const runbook = path.join(RUNBOOKS_DIR, `${a.alert}.md`);
    expect(fs.existsSync(runbook)).toBe(true);
    const text = fs.readFileSync(runbook, "utf8");
    for (const section of ["## Meaning", "## Impact", "## Diagnosis", "## Mitigation"]) expect(text).toContain(section);
  });

  it("has at least one promtool test case naming it in rules/tests", () => {
    const named = new Set<string>();
    for (const f of testFileNames()) {
      const doc = yaml.load(fs.readFileSync(path.join(TESTS_DIR, f), "utf8")) as any;
      for (const t of doc.tests ?? []) {
        for (const c of t.alert_rule_test ?? []) {
          named.add(c.alertname);
          for (const e of c.exp_alerts ?? []) if (e.exp_labels?.alertname) named.add(e.exp_labels.alertname);
        }
      }
    }
    expect(alertNames().filter((n) => !named.has(n))).toEqual([]);
  });

  it("has a test file per rule group, loading that group's file", () => {
    for (const group of ruleGroups()) {
      const doc = yaml.load(fs.readFileSync(path.join(TESTS_DIR, `${group.name}.yml`), "utf8")) as any;
      expect(doc.rule_files).toEqual([`../${group.name}.yml`]);
    }
  });
});

describe("expressions and names", () => {
  it.each(allRules().map((r) => [isAlert(r) ? r.alert : r.record, r.expr] as const))("%s parses with the Prometheus grammar", (_, expr) => {
    expect(parsePromQL(expr)).toEqual({ ok: true });
  });

  it("recording rules are named level:metric:operations", () => {
    const records = allRules().flatMap((r) => (isAlert(r) ? [] : [r.record]));
    expect(records.length).toBeGreaterThan(20);
    for (const name of records) expect(name).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
  });

  it("alert names are the documented list", () => {
    expect(alertNames()).toEqual([
      "ServiceDown", "TargetDown", "ScrapeFailures", "Watchdog",
      "HostHighCpu", "HostHighMemory", "HostDiskSpaceLow", "HostDiskWillFillIn24Hours", "HostFilesystemReadOnly", "HostClockSkew",
      "ContainerRestarting", "ContainerOomKilled", "ContainerMemoryNearLimit",
      "PostgresDown", "PostgresTooManyConnections", "PostgresDeadlocks", "PostgresLongRunningTransaction",
      "RedisDown", "RedisMemoryNearMax", "RedisRejectedConnections",
      "ProbeFailed", "ProbeSlow", "TlsCertificateExpiringSoon",
      "HttpErrorBudgetBurn", "HttpLatencyBudgetBurn",
      "PrometheusConfigReloadFailed", "PrometheusRuleEvaluationFailures", "PrometheusNotificationsDropped", "PrometheusTsdbCompactionsFailed", "PrometheusStorageNearFull", "PrometheusNotConnectedToAlertmanagers",
      "AlertmanagerFailedNotifications", "AlertmanagerClusterPeersMissing", "AlertmanagerConfigReloadFailed",
      "OtelCollectorRefusingData", "OtelCollectorExportFailures", "OtelCollectorDroppingData", "OtelCollectorExporterQueueNearFull", "OtelCollectorMemoryLimiterRefusing",
      "JaegerSpansRefused", "JaegerStorageWriteFailures", "JaegerStorageReadErrors",
      "TempoSpansDiscarded", "TempoFlushFailures", "TempoCompactionErrors",
      "LokiRequestErrors", "LokiPushesRateLimited", "LokiRetentionNotRunning", "LokiRulerEvaluationFailures",
      "AlloyComponentsUnhealthy", "AlloyLogEntriesDropped",
      "GrafanaDown", "GrafanaRequestErrors", "GrafanaDatasourceErrors", "GrafanaAlertingEvaluationFailures",
      "OpenSearchDown", "LogAgentExportFailures", "GlitchTipDown", "BackupTooOld", "BackupNeverSucceeded", "BackupFailed",
      "KubePodCrashLooping", "KubePodNotReady", "KubeContainerWaiting", "KubeDeploymentReplicasMismatch", "KubeDeploymentRolloutStuck",
      "KubeStatefulSetReplicasMismatch", "KubeStatefulSetUpdateNotRolledOut", "KubeDaemonSetRolloutStuck", "KubeJobFailed",
      "KubeNodeNotReady", "KubeNodePressure", "KubeCpuOvercommit", "KubeMemoryOvercommit",
      "KubePersistentVolumeFillingUp", "KubePersistentVolumeInodesFillingUp", "KubeAPIDown", "KubeAPIErrorsHigh",
    ]);
  });
});

describe("the HTTP rules' one label for a service", () => {
  const http = () => ruleGroups().filter((g) => g.name.startsWith("http-")).flatMap((g) => g.rules);

  it("every HTTP rule aggregates by service and never by job: services found by discovery all share the job `discovered`", () => {
    const rules = http();
    expect(rules.length).toBeGreaterThan(20);
    for (const r of rules) {
      expect({ rule: isAlert(r) ? r.alert : r.record, byJob: /\bjob\b/.test(r.expr) }).toEqual({ rule: isAlert(r) ? r.alert : r.record, byJob: false });
      for (const [, labels] of r.expr.matchAll(/\bsum by \(([^)]*)\)/g)) expect(labels.split(",").map((l) => l.trim())).toContain("service");
    }
  });

  it("every raw series they read must carry a service label", () => {
    const selectors = http().flatMap((r) => [...r.expr.matchAll(/\b(http_request[a-z_]*)(\{[^}]*\})?\[/g)].map((m) => `${m[1]}${m[2] ?? ""}`));
    expect(selectors.length).toBeGreaterThan(20);
    expect(selectors.filter((s) => !s.includes('{service!=""'))).toEqual([]);
  });
});

describe("custom thresholds", () => {
  const exprOf = (t: RuleThresholds, group: string, pick: (r: any) => boolean) => ruleGroups(t).find((g) => g.name === group)!.rules.filter(pick).map((r) => r.expr);

  it("a 99.9% availability objective moves every burn-rate threshold and the description", () => {
    const files = renderRuleFiles({ ...defaultThresholds, availabilityObjective: 0.999 });
    const t: RuleThresholds = { ...defaultThresholds, availabilityObjective: 0.999 };
    expect(exprOf(t, "http-slo", (r) => r.alert === "HttpErrorBudgetBurn")).toEqual([
      "service:http_errors:ratio_rate1h > (14.4 * (1 - 0.999)) and service:http_errors:ratio_rate5m > (14.4 * (1 - 0.999)) unless on (service) service:slo_availability:objective",
      "service:http_errors:ratio_rate6h > (6 * (1 - 0.999)) and service:http_errors:ratio_rate30m > (6 * (1 - 0.999)) unless on (service) service:slo_availability:objective",
      "service:http_errors:ratio_rate1d > (3 * (1 - 0.999)) and service:http_errors:ratio_rate2h > (3 * (1 - 0.999)) unless on (service) service:slo_availability:objective",
      "service:http_errors:ratio_rate3d > (1 * (1 - 0.999)) and service:http_errors:ratio_rate6h > (1 * (1 - 0.999)) unless on (service) service:slo_availability:objective",
    ]);
    expect(files["http-slo.yml"]).toContain("the 99.9% availability SLO");
    expect(files["http-slo.yml"]).not.toContain("0.995");
    expect(files["node.yml"]).toBe(renderRuleFiles()["node.yml"]);
  });

  it("status_code as the status label and an integer latency bound, which Prometheus 3 writes as 1.0", () => {
    const t: RuleThresholds = { ...defaultThresholds, httpStatusLabel: "status_code", latencyThresholdSeconds: 1 };
    const files = renderRuleFiles(t);
    const slo = files["http-slo.yml"];
    expect(slo).toContain('rate(http_requests_total{service!="", status_code=~"5.."}[5m])');
    expect(slo).not.toContain("status=~");
    expect(slo).toContain('http_request_duration_seconds_bucket{service!="", le=~"1|1\\\\.0"}[5m]');
    expect(files["http-red.yml"]).toContain('record: service_status_code:http_requests:rate5m\n        expr: sum by (service, status_code) (rate(http_requests_total{service!=""}[5m]))');
  });

  it("custom burn-rate windows get their own recording rules, beside the RED dashboard's 5m", () => {
    const t: RuleThresholds = { ...defaultThresholds, burnRateWindows: [{ long: "4h", short: "15m", factor: 10, severity: "critical", for: "5m" }] };
    const records = ruleGroups(t).find((g) => g.name === "http-slo")!.rules.flatMap((r) => ("record" in r ? [r.record] : []));
    expect(records).toEqual([
      "service:http_requests:rate5m", "service:http_errors:ratio_rate5m", "service:http_slow_requests:ratio_rate5m",
      "service:http_requests:rate15m", "service:http_errors:ratio_rate15m", "service:http_slow_requests:ratio_rate15m",
      "service:http_requests:rate4h", "service:http_errors:ratio_rate4h", "service:http_slow_requests:ratio_rate4h",
    ]);
  });

  it("a longer ServiceDown hold moves its `for` and its description, nothing else", () => {
    const t: RuleThresholds = { ...defaultThresholds, serviceDownFor: "1m" };
    const [rule] = ruleGroups(t).find((g) => g.name === "targets")!.rules.filter((r) => isAlert(r) && r.alert === "ServiceDown") as any[];
    expect(rule.for).toBe("1m");
    expect(rule.annotations.description).toContain("for 1m:");
    expect(renderRuleFiles(t)["node.yml"]).toBe(renderRuleFiles()["node.yml"]);
  });

  it("an explicit Alertmanager peer count replaces the count of those up", () => {
    const t: RuleThresholds = { ...defaultThresholds, alertmanagerExpectedPeers: 3 };
    expect(exprOf(t, "alertmanager", (r) => r.alert === "AlertmanagerClusterPeersMissing")).toEqual(['min by (job) (alertmanager_cluster_members{job=~".*alertmanager.*"}) < 3']);
  });

  it("another runbook base URL is used as given, without a doubled slash", () => {
    const t: RuleThresholds = { ...defaultThresholds, runbookBaseUrl: "https://wiki.example.com/runbooks/" };
    expect(ruleGroups(t)[0].rules.filter(isAlert).map((a) => a.annotations.runbook_url)).toEqual([
      "https://wiki.example.com/runbooks/ServiceDown.md", "https://wiki.example.com/runbooks/TargetDown.md", "https://wiki.example.com/runbooks/ScrapeFailures.md", "https://wiki.example.com/runbooks/Watchdog.md",
    ]);
  });

  it.each([
    [{ availabilityObjective: 1 }, "availabilityObjective must be a number strictly between 0 and 1, got 1"],
    [{ hostCpuUtilisation: 1.5 }, "hostCpuUtilisation must be a number from 0 to 1, got 1.5"],
    [{ httpStatusLabel: "status-code" }, "httpStatusLabel must be a label name, got status-code"],
    [{ burnRateWindows: [{ long: "1 hour", short: "5m", factor: 14.4, severity: "critical", for: "2m" }] }, "burnRateWindows[0].long: 1 hour is not a single-unit Prometheus duration such as 5m or 1d"],
    [{ alertmanagerExpectedPeers: 0 }, "alertmanagerExpectedPeers must be a positive integer, got 0"],
    [{ serviceDownFor: "15 s" }, "serviceDownFor: 15 s is not a single-unit Prometheus duration such as 5m or 1d"],
  ] as [Partial<RuleThresholds>, string][])("rejects %j naming the field", (override, message) => {
    expect(() => renderRuleFiles({ ...defaultThresholds, ...override })).toThrow(`invalid rule thresholds: ${message}`);
  });
});

describeWithBinaries("rules under the pinned promtool", ["promtool"], () => {
  it.each(ruleFileNames())("promtool check rules accepts %s", (name) => {
    const result = run("promtool", ["check", "rules", name], { cwd: RULES_DIR });
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it.each(testFileNames())("promtool test rules passes %s", (name) => {
    const result = run("promtool", ["test", "rules", name], { cwd: TESTS_DIR });
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });
});
