import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { installMocks, resolveOutput, settle } from "./helpers/mocks";
import { describeWithBinaries } from "./helpers/binaries";
import { promtoolCheckConfig, run, tempDir } from "./helpers/promtool";
import { stackFileRaw, stackFileSecrets } from "./helpers/stack-files";

installMocks({ stack: "configs" });
import { ObservabilityStack } from "../components/stack/observability-stack";

/** The rendered files of a stack file's stack, as the real tools will read them. */
async function rendered(stack: "dev" | "prod"): Promise<{ stack: ObservabilityStack; alertmanagerYml: string }> {
  const s = new ObservabilityStack(`configs-${stack}`, { config: stackFileRaw(stack) as never, secrets: stackFileSecrets(stack) as never });
  await settle();
  const alertmanagerYml = await new Promise<string>((resolve) => s.alerting!.configText.apply(resolve));
  return { stack: s, alertmanagerYml };
}

describeWithBinaries("the dev and prod stacks' rendered configs, read by the pinned promtool and amtool", ["promtool", "amtool"], () => {
  it.each(["dev", "prod"] as const)("promtool accepts the %s stack's prometheus.yml with every rule file it loads", async (name) => {
    const { stack } = await rendered(name);
    const ruleFiles = stack.prometheus.workloads
      .find((w) => w.name === "prometheus")!
      .files!.filter((f) => f.path.includes("/rules/"))
      .map(async (f) => [path.basename(f.path), await resolveOutput(pulumi.output(f.content))] as const);
    expect(ruleFiles.length).toBeGreaterThanOrEqual(9);
    const configText = await resolveOutput(stack.prometheus.configText);
    const result = promtoolCheckConfig(configText, Object.fromEntries(await Promise.all(ruleFiles)));
    expect(result.output).toMatch(/SUCCESS: \d+ rule files found/);
    expect(result.code).toBe(0);
    if (name === "prod") {
      // Prod runs on Kubernetes: its discovery blocks are part of what promtool just checked.
      expect(configText).toContain("kubernetes_sd_configs");
    }
  });

  it.each(["dev", "prod"] as const)("amtool accepts the %s stack's alertmanager.yml", async (name) => {
    const { alertmanagerYml } = await rendered(name);
    const dir = tempDir("amtool");
    fs.writeFileSync(path.join(dir, "alertmanager.yml"), alertmanagerYml);
    const result = run("amtool", ["check-config", path.join(dir, "alertmanager.yml")]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it("routes the prod stack's alerts: critical to the pager and chat, warning to chat, Watchdog to its own receiver, the rest to the default", async () => {
    const { alertmanagerYml } = await rendered("prod");
    const dir = tempDir("amtool");
    const file = path.join(dir, "alertmanager.yml");
    fs.writeFileSync(file, alertmanagerYml);
    const route = (labels: string[]) => run("amtool", ["config", "routes", "test", `--config.file=${file}`, ...labels]).output.trim();
    expect(route(["alertname=ServiceDown", "severity=critical", "job=api"])).toBe("oncall,chat");
    expect(route(["alertname=HostHighCpu", "severity=warning"])).toBe("chat");
    expect(route(["alertname=TargetDown", "severity=warning", "job=api"])).toBe("chat");
    expect(route(["alertname=Watchdog", "severity=none"])).toBe("deadmans-switch");
    expect(route(["alertname=NoUserRegistrations", "severity=info"])).toBe("default");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("pages a critical in prod after 10 s, not the root's 30 s; the other routes keep the root's timers (the Watchdog's are its heartbeat's)", async () => {
    const { alertmanagerYml } = await rendered("prod");
    const yaml = await import("js-yaml");
    const am = yaml.load(alertmanagerYml) as { route: { group_wait: string; routes: { receiver: string; matchers?: string[]; group_wait?: string }[] } };
    expect(am.route.group_wait).toBe("30s");
    expect(am.route.routes.map((r) => [r.receiver, r.group_wait ?? null])).toStrictEqual([
      ["deadmans-switch", "0s"],
      ["oncall", "10s"],
      ["chat", null],
    ]);
  });
});

describe("the stacks' Prometheus wiring", () => {
  it("sends alerts to every Alertmanager replica and scrapes every component the stack deploys", async () => {
    const { stack } = await rendered("prod");
    const yaml = await import("js-yaml");
    const cfg = yaml.load(await resolveOutput(stack.prometheus.configText)) as any;
    expect(cfg.alerting.alertmanagers).toHaveLength(1);
    expect(cfg.alerting.alertmanagers[0].kubernetes_sd_configs[0].selectors).toStrictEqual([{ role: "pod", label: "app.kubernetes.io/name=alertmanager" }]);
    const jobs: string[] = cfg.scrape_configs.map((j: any) => j.job_name);
    // A CronJob's pods are gone when it is done: kube-state-metrics reports them (the backup jobs).
    for (const workload of stack.workloads.filter((w) => w.mode !== "scheduled")) {
      // Each deployed workload is a job of its own, except the host agents scraped under their exporter job.
      expect(jobs.some((j) => j === workload.name || j.startsWith(workload.name))).toBe(true);
    }
  });

  it("stores exemplars when tracing is on, so dashboards can link a latency spike to its trace", async () => {
    const { stack } = await rendered("dev");
    const args = stack.prometheus.workloads.find((w) => w.name === "prometheus")!.args!;
    expect(args).toContain("--enable-feature=exemplar-storage");
  });
});

