import { execFile, execFileSync } from "child_process";
import * as path from "path";
import * as yaml from "js-yaml";
import { RegisteredResource, unwrap } from "./helpers/mocks";

/**
 * The example program and a test-only consumer, compiled against the BUILT package (`npm run
 * build`) and run under Pulumi's mocks in a process of their own, where `pulumi-observability`
 * resolves by name (the package's self-reference through its `exports`).
 */
const root = path.join(__dirname, "..");
const tsc = path.join(root, "node_modules", ".bin", "tsc");

function compileAndRun(dir: string, project: string, config: Record<string, string> = {}): RegisteredResource[] {
  execFileSync(tsc, ["-p", path.join(dir, "tsconfig.json")], { cwd: root, stdio: "pipe" });
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, "helpers", "run-under-mocks.js"), path.join(dir, "bin", "index.js"), project, JSON.stringify(config), JSON.stringify(Object.keys(config))],
    { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(out.trim().split("\n").pop()!).resources;
}

beforeAll(() => {
  execFileSync(tsc, ["-p", path.join(root, "tsconfig.build.json")], { cwd: root, stdio: "pipe" });
}, 180000);

describe("examples/two-services", () => {
  let resources: RegisteredResource[];
  beforeAll(() => {
    resources = compileAndRun(path.join(root, "examples", "two-services"), "two-services", {
      "two-services:defaultWebhook": "https://hooks.example.com/alerts-S3cret",
      "two-services:paymentsSlack": "https://hooks.slack.com/services/T0/B0/payments-S3cret",
    });
  }, 180000);

  const prometheusFile = (suffix: string): string => {
    const container = resources.find((r) => r.type === "docker:index/container:Container" && r.inputs.name === "obs-test-prometheus")!;
    return unwrap(container.inputs.uploads).find((u: { file: string }) => u.file.endsWith(suffix)).content;
  };

  it("builds the whole stack on Docker", () => {
    const containers = resources.filter((r) => r.type === "docker:index/container:Container").map((r) => r.inputs.name).sort();
    expect(containers).toContain("obs-test-prometheus");
    expect(containers).toContain("obs-test-grafana");
    expect(containers).toHaveLength(11);
  });

  it("scrapes both services it monitors, with their service and team labels", () => {
    const jobs = (yaml.load(prometheusFile("/prometheus.yml")) as any).scrape_configs.filter((j: any) => ["checkout", "search"].includes(j.job_name));
    expect(jobs.map((j: any) => [j.job_name, j.static_configs[0].labels])).toStrictEqual([
      ["checkout", { service: "checkout", team: "payments" }],
      ["search", { service: "search" }],
    ]);
  });

  it("loads their SLO alerts and the custom alert", () => {
    const services = yaml.load(prometheusFile("/rules/services.yml")) as any;
    // Their objectives; the burn-rate alerts that read them are shared by every service.
    const objectives = services.groups.find((g: any) => g.name === "service-slo-objectives").rules;
    expect(new Set(objectives.map((r: any) => r.labels.service))).toStrictEqual(new Set(["checkout", "search"]));
    expect(services.groups.find((g: any) => g.name === "service-slo").rules.filter((r: any) => r.alert).length).toBeGreaterThan(0);
    const custom = yaml.load(prometheusFile("/rules/custom.yml")) as any;
    expect(custom.groups[0].rules.map((r: any) => r.alert)).toStrictEqual(["CheckoutQueueBacklog"]);
  });

  it("adds a RED dashboard per service", () => {
    const uids = resources.filter((r) => r.type === "grafana:oss/dashboard:Dashboard").map((r) => JSON.parse(r.inputs.configJson).uid);
    expect(uids).toEqual(expect.arrayContaining(["obs-svc-checkout", "obs-svc-search"]));
  });
});

describe("a consumer using one component alone", () => {
  it("deploys Prometheus and its exporters on a platform it built, sending alerts where it was told", () => {
    const resources = compileAndRun(path.join(root, "test", "fixtures", "consumer"), "consumer");
    const containers = resources.filter((r) => r.type === "docker:index/container:Container").map((r) => r.inputs.name).sort();
    expect(containers).toStrictEqual(["consumer-blackbox-exporter", "consumer-cadvisor", "consumer-docker-socket-proxy", "consumer-node-exporter", "consumer-prometheus"]);
    const prometheus = resources.find((r) => r.inputs.name === "consumer-prometheus")!;
    const config = yaml.load(unwrap(prometheus.inputs.uploads).find((u: { file: string }) => u.file.endsWith("/prometheus.yml")).content) as any;
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toStrictEqual(["alertmanager.example.internal:9093"]);
  });
});

/**
 * The package type-checks for every consumer: the consumer fixture compiled against the built
 * declarations with `skipLibCheck: false` (every .d.ts it reaches must compile, the way a consumer
 * who checks their libraries sees them) under both module resolutions a CommonJS project uses:
 * tsc's classic `node10` (no package.json `exports`) and `node16` (`exports` only, the package
 * found by name). Our declarations must not import the Grafana foundation SDK, whose types only
 * `exports` subpaths reach: under node10 each such import is a TS2307.
 */
describe("the built declarations, compiled by a consumer with skipLibCheck: false", () => {
  const consumer = path.join(root, "test", "fixtures", "consumer");

  /** tsc's exit code and everything it printed (diagnostics go to stdout). */
  function typecheck(tsconfig: string): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      execFile(tsc, ["-p", path.join(consumer, tsconfig), "--pretty", "false"], { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      });
    });
  }

  // Both at once: each takes some 20 s, mostly @pulumi/* declarations.
  let node10: Promise<{ code: number; output: string }>;
  let node16: Promise<{ code: number; output: string }>;
  beforeAll(() => {
    node10 = typecheck("tsconfig.node10.json");
    node16 = typecheck("tsconfig.node16.json");
  });

  it("compiles cleanly with moduleResolution node10 (module commonjs)", async () => {
    expect(await node10).toStrictEqual({ code: 0, output: "" });
  }, 180000);

  it("compiles cleanly with moduleResolution node16 (module node16)", async () => {
    expect(await node16).toStrictEqual({ code: 0, output: "" });
  }, 180000);
});
