import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { renderCollectorConfig } from "../components/tracing/collector-config";
import { images } from "../components/shared/versions";
import {
  binDir,
  cacheRoot,
  collectorMain,
  collectorStableVersion,
  COLLECTOR_COMPONENTS,
  imageTag,
  jaegerModuleVersion,
  ETCD_VERSION,
  KUBERNETES_STAGING_MODULES,
  KUBERNETES_VERSION,
  kubernetesStagingVersion,
  KWOK_VERSION,
  lockedVersions,
  prometheusModuleVersion,
  recipes,
  releaseOf,
  unobtainable,
} from "../scripts/toolchain/recipes";
import { describeWithBinaries } from "./helpers/binaries";

const ROOT = path.resolve(__dirname, "..");
const LOCK = fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8");
const ALL = recipes(LOCK);
const byName = (name: string) => ALL.find((r) => r.name === name)!;

describe("toolchain recipes take their versions from the pins", () => {
  it("maps upstream releases to Go module versions", () => {
    expect(prometheusModuleVersion("3.16.0")).toBe("v0.316.0");
    expect(prometheusModuleVersion("3.5.2")).toBe("v0.305.2");
    expect(() => prometheusModuleVersion("2.53.0")).toThrow("only 3.x");
    expect(jaegerModuleVersion("2.13.0")).toBe("v1.76.0");
    expect(jaegerModuleVersion("2.9.0")).toBe("v1.72.0");
    expect(collectorStableVersion("0.161.0")).toBe("v1.67.0");
    expect(imageTag("docker.io/oliver006/redis_exporter:v1.74.0-alpine")).toBe("v1.74.0-alpine");
    expect(releaseOf("v1.74.0-alpine")).toBe("1.74.0");
    expect(() => releaseOf("latest")).toThrow("not a release version");
  });

  it("builds every non-AGPL image the tests run, at its image's release", () => {
    const imageOf: Record<string, keyof typeof images> = {
      prometheus: "prometheus",
      alertmanager: "alertmanager",
      "node-exporter": "nodeExporter",
      "blackbox-exporter": "blackboxExporter",
      "postgres-exporter": "postgresExporter",
      "redis-exporter": "redisExporter",
      "kube-state-metrics": "kubeStateMetrics",
      otelcol: "otelCollectorContrib",
      jaeger: "jaeger",
      rclone: "rclone",
    };
    for (const [recipe, image] of Object.entries(imageOf)) expect([recipe, byName(recipe).version]).toStrictEqual([recipe, releaseOf(imageTag(images[image]))]);
    // The images with no recipe, and why: AGPL (never built here: alloy, grafana, loki, tempo), not a
    // Go module (GlitchTip is Python, OpenSearch Java and run from Maven Central's jars by
    // `npm run toolchain:opensearch`, Dashboards Node, PostgreSQL and Valkey C, the socket proxy
    // haproxy), or a Go build these machines cannot make (cAdvisor needs cgo and libpfm).
    const notBuilt = Object.keys(images).filter((i) => !Object.values(imageOf).includes(i as keyof typeof images)).sort();
    expect(notBuilt).toStrictEqual(["alloy", "cadvisor", "dockerSocketProxy", "glitchtip", "glitchtipPostgres", "glitchtipValkey", "grafana", "loki", "opensearch", "opensearchDashboards", "tempo"]);
  });

  it("builds the Pulumi CLI at the release package-lock.json holds for @pulumi/pulumi", () => {
    const locked = lockedVersions(LOCK);
    const pulumi = byName("pulumi");
    expect(pulumi.version).toBe(locked.pulumi);
    expect(pulumi.require).toStrictEqual({ "github.com/pulumi/pulumi/pkg/v3": `v${locked.pulumi}`, "github.com/pulumi/pulumi/sdk/v3": `v${locked.pulumi}` });
    // The language host and the providers the npm packages ask for, stated as not served here.
    expect(unobtainable(LOCK).map((u) => `${u.name}@${u.version}`)).toStrictEqual([
      `pulumi-language-nodejs@${locked.pulumi}`,
      `pulumi-resource-docker@${locked.docker}`,
      `pulumi-resource-random@${locked.random}`,
      `pulumi-resource-tls@${locked.tls}`,
      `pulumi-resource-kubernetes@${locked.kubernetes}`,
    ]);
  });

  it("builds the test control plane at one Kubernetes release: its staging modules at v0.X.Y, its etcd, a kwok built for it", () => {
    expect(kubernetesStagingVersion("1.36.3")).toBe("v0.36.3");
    expect(() => kubernetesStagingVersion("2.0.0")).toThrow("only 1.x");
    const kube = byName("kubernetes");
    expect([kube.version, kube.require]).toStrictEqual([KUBERNETES_VERSION, { "k8s.io/kubernetes": `v${KUBERNETES_VERSION}` }]);
    expect(kube.packages.map((p) => p.out)).toStrictEqual(["kube-apiserver", "kube-controller-manager", "kube-scheduler"]);
    // Every staging module k8s.io/kubernetes replaces with a local folder, at its published release instead.
    expect(Object.keys(kube.replace!)).toStrictEqual(KUBERNETES_STAGING_MODULES.map((m) => `k8s.io/${m}`));
    for (const [from, to] of Object.entries(kube.replace!)) expect(to).toBe(`${from}@v0.${KUBERNETES_VERSION.split(".")[1]}.${KUBERNETES_VERSION.split(".")[2]}`);
    // What the API server reports is what clients (pulumi-kubernetes) judge the cluster by.
    expect(kube.versionVars).toMatchObject({ "k8s.io/component-base/version.gitVersion": `v${KUBERNETES_VERSION}`, "k8s.io/component-base/version.gitMajor": "1", "k8s.io/component-base/version.gitMinor": "36" });
    expect([byName("etcd").version, byName("etcd").require]).toStrictEqual([ETCD_VERSION, { "go.etcd.io/etcd/server/v3": `v${ETCD_VERSION}` }]);
    expect([byName("kwok").version, byName("kwok").packages]).toStrictEqual([KWOK_VERSION, [{ pkg: "sigs.k8s.io/kwok/cmd/kwok", out: "kwok" }]]);
  });

  it("keeps every cache path outside the repository and under the pinned version", () => {
    for (const r of ALL) {
      const dir = binDir(r);
      expect(dir.startsWith(ROOT + path.sep)).toBe(false);
      expect(dir).toBe(path.join(cacheRoot(), r.name, r.version, "bin"));
    }
  });
});

describe("the collector build holds exactly the components the stack renders", () => {
  const rendered = [
    renderCollectorConfig({ backendOtlpEndpoint: "jaeger:4317" }),
    renderCollectorConfig({ backendOtlpEndpoint: "tempo:4317", lokiOtlpEndpoint: "http://loki:3100/otlp" }),
    renderCollectorConfig({ backendOtlpEndpoint: "jaeger:4317", tailSampling: { enabled: true, ratio: 0.1, latencyThresholdMs: 500, decisionWait: "10s" } }),
  ].map((t) => yaml.load(t) as Record<string, Record<string, unknown>>);
  const used = (kind: keyof typeof COLLECTOR_COMPONENTS) => new Set(rendered.flatMap((c) => Object.keys(c[kind] ?? {}).map((id) => id.split("/")[0])));

  it.each(Object.keys(COLLECTOR_COMPONENTS) as (keyof typeof COLLECTOR_COMPONENTS)[])("%s: every one rendered is built, and every one built is rendered", (kind) => {
    expect([...used(kind)].sort()).toStrictEqual(Object.keys(COLLECTOR_COMPONENTS[kind]).sort());
  });

  describeWithBinaries("the built collector", ["otelcol-contrib"], () => {
    it("names its components as the renderer does (`otelcol-contrib components`)", () => {
      const out = spawnSync(path.join(binDir(byName("otelcol")), "otelcol-contrib"), ["components"], { encoding: "utf8", timeout: 30000 });
      const listed = yaml.load(out.stdout) as Record<string, { name: string }[]>;
      for (const kind of Object.keys(COLLECTOR_COMPONENTS) as (keyof typeof COLLECTOR_COMPONENTS)[]) {
        expect([kind, listed[kind].map((c) => c.name).sort()]).toStrictEqual([kind, Object.keys(COLLECTOR_COMPONENTS[kind]).sort()]);
      }
    });
  });

  describeWithBinaries("the built collector reads what the stack renders", ["otelcol-contrib"], () => {
    it.each([
      ["jaeger backend", { backendOtlpEndpoint: "jaeger:4317" }],
      ["tempo backend and Loki logs", { backendOtlpEndpoint: "tempo:4317", lokiOtlpEndpoint: "http://loki:3100/otlp" }],
      ["tail sampling", { backendOtlpEndpoint: "jaeger:4317", tailSampling: { enabled: true, ratio: 0.1, latencyThresholdMs: 500, decisionWait: "10s" } }],
    ])("`otelcol-contrib validate` accepts the config with %s", (_name, opts) => {
      const file = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "obs-otelcol-")), "config.yaml");
      fs.writeFileSync(file, renderCollectorConfig(opts));
      const out = spawnSync(path.join(binDir(byName("otelcol")), "otelcol-contrib"), ["validate", `--config=${file}`], { encoding: "utf8", timeout: 30000 });
      expect([out.status, `${out.stdout}${out.stderr}`]).toStrictEqual([0, ""]);
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    });
  });

  it("generates a main that registers each component's factory", () => {
    const main = collectorMain("0.161.0");
    for (const pkg of Object.values(COLLECTOR_COMPONENTS).flatMap((k) => Object.values(k))) expect(main).toContain(`\t"${pkg}"`);
    expect(main).toContain('Version: "0.161.0"');
  });
});

describe("what is built is what is pinned", () => {
  describeWithBinaries(`the control plane ${KUBERNETES_VERSION}`, ["kube-apiserver", "kube-controller-manager", "kube-scheduler"], () => {
    it.each(["kube-apiserver", "kube-controller-manager", "kube-scheduler"])("`%s --version` reports the pinned release", (binary) => {
      const out = spawnSync(path.join(binDir(byName("kubernetes")), binary), ["--version"], { encoding: "utf8", timeout: 30000 });
      expect(`${out.stdout}${out.stderr}`.trim()).toBe(`Kubernetes v${KUBERNETES_VERSION}`);
    });
  });

  for (const r of ALL) {
    describeWithBinaries(`${r.name} ${r.version}`, r.packages.map((p) => p.out), () => {
      it(`\`${r.versionCheck.binary} ${r.versionCheck.args.join(" ")}\` reports ${r.versionCheck.expect}`, () => {
        const out = spawnSync(path.join(binDir(r), r.versionCheck.binary), r.versionCheck.args, { encoding: "utf8", timeout: 30000 });
        expect(`${out.stdout}${out.stderr}`).toContain(r.versionCheck.expect);
      });
      if (r.mainGo) {
        it("was built from the main.go the recipe generates now", () => {
          expect(fs.readFileSync(path.join(cacheRoot(), "src", r.name, r.version, "main.go"), "utf8")).toBe(r.mainGo);
        });
      }
    });
  }
});
