/**
 * What the toolchain builds, derived from the two places versions live:
 *   - the image tags of `components/shared/versions.ts` (what the stack deploys), and
 *   - the versions `package-lock.json` holds for `@pulumi/pulumi` and the provider packages.
 *
 * Pure: no process, no file system beyond reading the lock file's text handed in. The builder
 * (`build.ts`) and the tests (`test/helpers/binaries.ts`, `test/toolchain.test.ts`) both read
 * these recipes, so a binary's cache path always carries the version that is pinned.
 */
import * as os from "os";
import * as path from "path";
import { images, imageTag } from "../../components/shared/versions";

export interface GoPackage {
  /** The main package to build (`module/cmd/x`), or "." for a wrapper with a main of its own. */
  pkg: string;
  /** The file name of the binary in the cache's `bin/`. */
  out: string;
}

export interface Recipe {
  /** The toolchain's name of this build: one wrapper module, one cache folder. */
  name: string;
  /** The upstream release (the image tag or npm version, without a leading `v`). */
  version: string;
  /** Where the version comes from, for messages. */
  pinnedBy: string;
  /** The Go modules required, at their exact versions. */
  require: Record<string, string>;
  /** `replace` lines copied from upstream go.mod files (non-local ones only). */
  replace?: Record<string, string>;
  packages: GoPackage[];
  /** `-X` settings for the version the binary reports. */
  versionVars?: Record<string, string>;
  /** A main.go of our own, when upstream has no main package to build (the collector). */
  mainGo?: string;
  /**
   * Files of our own added to a copy of an upstream module before building, where its zip lacks
   * generated files its Go code embeds (a web UI built by npm in upstream's release process).
   * Keyed by the module path, then by the file's path inside the module.
   */
  addFiles?: Record<string, Record<string, string>>;
  /**
   * Data files of an upstream module the binaries need at run time and a release would ship beside
   * them, copied from the module cache into `<cache>/<name>/<version>/share/` (by base name).
   */
  dataFiles?: { module: string; files: string[] };
  /** `go build -tags`. */
  tags?: string[];
  /** The argument that makes the first binary print its version, and what that output must contain. */
  versionCheck: { binary: string; args: string[]; expect: string };
}

/** This project's cache folder, outside the repository and shared by every checkout of this machine: the toolchain's, the stand-in images' bases. */
export function cacheBase(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "pulumi-observability");
}

/** The toolchain's cache root (`OBS_TOOLCHAIN_CACHE` overrides it). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.OBS_TOOLCHAIN_CACHE || path.join(cacheBase(env), "toolchain");
}

/** Where one recipe's binaries live: `<cache>/<name>/<version>/bin`. */
export function binDir(recipe: Pick<Recipe, "name" | "version">, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), recipe.name, recipe.version, "bin");
}

/** Where one recipe's data files live: `<cache>/<name>/<version>/share`. */
export function shareDir(recipe: Pick<Recipe, "name" | "version">, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), recipe.name, recipe.version, "share");
}

export { imageTag };

/** `v3.16.0` -> `3.16.0`; `v1.74.0-alpine` -> `1.74.0`. */
export function releaseOf(tag: string): string {
  const m = /^v?(\d+\.\d+\.\d+)/.exec(tag);
  if (!m) throw new Error(`tag ${tag} is not a release version`);
  return m[1];
}

/** Prometheus 3.x.y is the Go module version v0.3xy.0 (3.16.0 -> v0.316.0, 3.5.0 -> v0.305.0). */
export function prometheusModuleVersion(release: string): string {
  const [major, minor, patch] = release.split(".").map(Number);
  if (major !== 3) throw new Error(`Prometheus ${release}: only 3.x maps to a Go module version here`);
  return `v0.${major * 100 + minor}.${patch}`;
}

/** Jaeger 2.N.p is the Go module version v1.(N+63).p (2.13.0 -> v1.76.0). */
export function jaegerModuleVersion(release: string): string {
  const [major, minor, patch] = release.split(".").map(Number);
  if (major !== 2) throw new Error(`Jaeger ${release}: only v2 maps to a Go module version here`);
  return `v1.${minor + 63}.${patch}`;
}

/** The collector's stable (1.x) modules released beside 0.N: 0.161.0 goes with v1.67.0 (upstream's release pairing). */
export function collectorStableVersion(release: string): string {
  const [major, minor, patch] = release.split(".").map(Number);
  if (major !== 0 || minor < 95) throw new Error(`collector ${release}: no stable-module pairing known`);
  return `v1.${minor - 94}.${patch}`;
}

/** The versions package-lock.json holds for the Pulumi packages. */
export function lockedVersions(lockText: string): Record<"pulumi" | "docker" | "random" | "tls" | "kubernetes", string> {
  const lock = JSON.parse(lockText) as { packages: Record<string, { version?: string }> };
  const get = (name: string): string => {
    const v = lock.packages[`node_modules/${name}`]?.version;
    if (!v) throw new Error(`package-lock.json holds no version of ${name}`);
    return v;
  };
  return { pulumi: get("@pulumi/pulumi"), docker: get("@pulumi/docker"), random: get("@pulumi/random"), tls: get("@pulumi/tls"), kubernetes: get("@pulumi/kubernetes") };
}

const PLACEHOLDER_UI = (product: string): string =>
  `<!doctype html><title>${product}</title><p>${product} built by the pulumi-observability toolchain without its web UI; the API works.</p>\n`;

const PROM_VERSION = "github.com/prometheus/common/version";

function promVersionVars(release: string): Record<string, string> {
  return {
    [`${PROM_VERSION}.Version`]: release,
    [`${PROM_VERSION}.Revision`]: "go-module",
    [`${PROM_VERSION}.Branch`]: "release",
    [`${PROM_VERSION}.BuildUser`]: "pulumi-observability-toolchain",
  };
}

/**
 * The collector's components, by the type names the pinned release gives them: exactly those
 * `components/tracing/collector-config.ts` can render. A test reads the rendered configs and fails when
 * one names a component that is not listed here, or one listed here is never rendered.
 */
export const COLLECTOR_COMPONENTS = {
  receivers: { otlp: "go.opentelemetry.io/collector/receiver/otlpreceiver", zipkin: "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/zipkinreceiver" },
  processors: {
    batch: "go.opentelemetry.io/collector/processor/batchprocessor",
    memory_limiter: "go.opentelemetry.io/collector/processor/memorylimiterprocessor",
    tail_sampling: "github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor",
  },
  exporters: {
    otlp_grpc: "go.opentelemetry.io/collector/exporter/otlpexporter",
    otlp_http: "go.opentelemetry.io/collector/exporter/otlphttpexporter",
    prometheus: "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter",
  },
  connectors: {
    forward: "go.opentelemetry.io/collector/connector/forwardconnector",
    span_metrics: "github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector",
  },
  extensions: { health_check: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension" },
} as const;

type Kind = keyof typeof COLLECTOR_COMPONENTS;

/** A main package of our own: `otelcol.NewCommand` with exactly COLLECTOR_COMPONENTS. */
export function collectorMain(release: string): string {
  const kinds: { kind: Kind; fn: string; factory: string }[] = [
    { kind: "receivers", fn: "otelcol.MakeFactoryMap[receiver.Factory]", factory: "receiver" },
    { kind: "processors", fn: "otelcol.MakeFactoryMap[processor.Factory]", factory: "processor" },
    { kind: "exporters", fn: "otelcol.MakeFactoryMap[exporter.Factory]", factory: "exporter" },
    { kind: "connectors", fn: "otelcol.MakeFactoryMap[connector.Factory]", factory: "connector" },
    { kind: "extensions", fn: "otelcol.MakeFactoryMap[extension.Factory]", factory: "extension" },
  ];
  const imports = new Map<string, string>();
  const alias = (pkg: string): string => {
    if (!imports.has(pkg)) imports.set(pkg, pkg.slice(pkg.lastIndexOf("/") + 1));
    return imports.get(pkg)!;
  };
  const blocks = kinds.map(({ kind, fn }) => {
    const entries = Object.values(COLLECTOR_COMPONENTS[kind]).map((pkg) => `\t\t${alias(pkg)}.NewFactory(),`);
    return `\tif f.${kind[0].toUpperCase()}${kind.slice(1)}, err = ${fn}(\n${entries.join("\n")}\n\t); err != nil {\n\t\treturn f, err\n\t}`;
  });
  const importLines = [
    `"log"`,
    `"go.opentelemetry.io/collector/component"`,
    `"go.opentelemetry.io/collector/confmap"`,
    `"go.opentelemetry.io/collector/confmap/provider/envprovider"`,
    `"go.opentelemetry.io/collector/confmap/provider/fileprovider"`,
    `"go.opentelemetry.io/collector/connector"`,
    `"go.opentelemetry.io/collector/exporter"`,
    `"go.opentelemetry.io/collector/extension"`,
    `"go.opentelemetry.io/collector/otelcol"`,
    `"go.opentelemetry.io/collector/processor"`,
    `"go.opentelemetry.io/collector/receiver"`,
    `"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"`,
    ...[...imports.keys()].sort().map((p) => `"${p}"`),
  ];
  return `// Code generated by scripts/toolchain/recipes.ts for the toolchain's collector; DO NOT EDIT.
// The components are exactly those components/tracing/collector-config.ts renders.
package main

import (
${importLines.map((l) => `\t${l}`).join("\n")}
)

func components() (otelcol.Factories, error) {
\tvar err error
\t// The service's own telemetry (the \`service.telemetry\` block: its metrics on :8888) has a factory of its own.
\tf := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
${blocks.join("\n")}
\treturn f, nil
}

func main() {
\tinfo := component.BuildInfo{Command: "otelcol-contrib", Description: "OpenTelemetry Collector (pulumi-observability toolchain build)", Version: "${release}"}
\tset := otelcol.CollectorSettings{
\t\tBuildInfo: info,
\t\tFactories: components,
\t\tConfigProviderSettings: otelcol.ConfigProviderSettings{
\t\t\tResolverSettings: confmap.ResolverSettings{
\t\t\t\tProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
\t\t\t},
\t\t},
\t}
\tif err := otelcol.NewCommand(set).Execute(); err != nil {
\t\tlog.Fatal(err)
\t}
}
`;
}

/**
 * The Kubernetes control plane the deploy test (`test/deploy/e2e-kubernetes.test.ts`) runs: no
 * image of the stack, so no image tag pins these. 1.36 is the newest minor whose etcd pin is a
 * 3.6 release (1.37's kubeadm and go.mod ask for etcd 3.7.0); @pulumi/kubernetes 4.34.2 is
 * generated from 1.37 and supports 1.36, its previous minor; kwok 0.8.0 is built for 1.36.
 */
export const KUBERNETES_VERSION = "1.36.3";
/** The etcd Kubernetes 1.36.3 names: its kubeadm `DefaultEtcdVersion` ("3.6.8-0") and its go.mod's etcd client. */
export const ETCD_VERSION = "3.6.8";
/** kwok (fake nodes, pods that report ready): 0.8.0 is the release built against Kubernetes 1.36 (its `consts.KubeVersion` is 1.36.1). */
export const KWOK_VERSION = "0.8.0";

/**
 * k8s.io/kubernetes' go.mod replaces each of its staging modules with a local folder
 * (`./staging/src/k8s.io/<name>`), which a wrapper cannot use: each is replaced with its published
 * release instead, v0.X.Y for Kubernetes v1.X.Y. The list is the replace block of go.mod at
 * v1.36.3, less the three `sample-*` modules (never published at v0.36.3, and not imported by the
 * binaries built here).
 */
export const KUBERNETES_STAGING_MODULES = [
  "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go", "cloud-provider",
  "cluster-bootstrap", "code-generator", "component-base", "component-helpers", "controller-manager", "cri-api",
  "cri-client", "cri-streaming", "csi-translation-lib", "dynamic-resource-allocation", "endpointslice", "externaljwt",
  "kms", "kube-aggregator", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl", "kubelet", "metrics",
  "mount-utils", "pod-security-admission", "streaming",
] as const;

/** Kubernetes v1.X.Y's staging modules are published as v0.X.Y. */
export function kubernetesStagingVersion(release: string): string {
  const [major, minor, patch] = release.split(".").map(Number);
  if (major !== 1) throw new Error(`Kubernetes ${release}: only 1.x maps to staging module versions here`);
  return `v0.${minor}.${patch}`;
}

/** Every recipe, from the pinned images and the locked npm packages. */
export function recipes(lockText: string): Recipe[] {
  const tag = (name: keyof typeof images): string => imageTag(images[name]);
  const rel = (name: keyof typeof images): string => releaseOf(tag(name));
  const locked = lockedVersions(lockText);
  const by = (name: keyof typeof images): string => `components/shared/versions.ts images.${name} (${images[name]})`;
  // An exporter of the Prometheus project's layout: one binary, its version in prometheus/common's `version`.
  const promExporter = (name: string, version: string, image: keyof typeof images, module: string, pkgPath: string, out: string): Recipe => ({
    name,
    version,
    pinnedBy: by(image),
    require: { [module]: `v${version}` },
    packages: [{ pkg: `${module}${pkgPath}`, out }],
    versionVars: promVersionVars(version),
    versionCheck: { binary: out, args: ["--version"], expect: `${out}, version ${version}` },
  });

  const prometheus = rel("prometheus");
  const alertmanager = rel("alertmanager");
  const node = rel("nodeExporter");
  const blackbox = rel("blackboxExporter");
  const postgres = rel("postgresExporter");
  const redis = rel("redisExporter");
  const ksm = rel("kubeStateMetrics");
  const otelcol = rel("otelCollectorContrib");
  const jaeger = rel("jaeger");
  const rclone = rel("rclone");
  const [kubeMajor, kubeMinor] = KUBERNETES_VERSION.split(".");

  const collectorModules: Record<string, string> = {
    "go.opentelemetry.io/collector/otelcol": `v${otelcol}`,
    "go.opentelemetry.io/collector/service": `v${otelcol}`,
    "go.opentelemetry.io/collector/confmap/provider/envprovider": collectorStableVersion(otelcol),
    "go.opentelemetry.io/collector/confmap/provider/fileprovider": collectorStableVersion(otelcol),
  };
  for (const kind of Object.values(COLLECTOR_COMPONENTS)) for (const pkg of Object.values(kind)) collectorModules[pkg] = `v${otelcol}`;

  return [
    {
      name: "prometheus",
      version: prometheus,
      pinnedBy: by("prometheus"),
      require: { "github.com/prometheus/prometheus": prometheusModuleVersion(prometheus) },
      packages: [
        { pkg: "github.com/prometheus/prometheus/cmd/prometheus", out: "prometheus" },
        { pkg: "github.com/prometheus/prometheus/cmd/promtool", out: "promtool" },
      ],
      versionVars: promVersionVars(prometheus),
      versionCheck: { binary: "promtool", args: ["--version"], expect: `promtool, version ${prometheus}` },
    },
    {
      name: "alertmanager",
      version: alertmanager,
      pinnedBy: by("alertmanager"),
      require: { "github.com/prometheus/alertmanager": `v${alertmanager}` },
      packages: [
        { pkg: "github.com/prometheus/alertmanager/cmd/alertmanager", out: "alertmanager" },
        { pkg: "github.com/prometheus/alertmanager/cmd/amtool", out: "amtool" },
      ],
      versionVars: promVersionVars(alertmanager),
      // ui/web.go embeds app/dist, which upstream builds with npm and the module zip does not hold:
      // a placeholder page in its place. The API, the clustering and amtool are unaffected.
      addFiles: {
        "github.com/prometheus/alertmanager": {
          "ui/app/dist/elm/index.html": PLACEHOLDER_UI("Alertmanager"),
          "ui/app/dist/mantine/index.html": PLACEHOLDER_UI("Alertmanager"),
        },
      },
      versionCheck: { binary: "alertmanager", args: ["--version"], expect: `alertmanager, version ${alertmanager}` },
    },
    promExporter("node-exporter", node, "nodeExporter", "github.com/prometheus/node_exporter", "", "node_exporter"),
    promExporter("blackbox-exporter", blackbox, "blackboxExporter", "github.com/prometheus/blackbox_exporter", "", "blackbox_exporter"),
    promExporter("postgres-exporter", postgres, "postgresExporter", "github.com/prometheus-community/postgres_exporter", "/cmd/postgres_exporter", "postgres_exporter"),
    {
      name: "redis-exporter",
      version: redis,
      pinnedBy: by("redisExporter"),
      require: { "github.com/oliver006/redis_exporter": `v${redis}` },
      packages: [{ pkg: "github.com/oliver006/redis_exporter", out: "redis_exporter" }],
      versionVars: { "main.BuildVersion": `v${redis}`, "main.BuildCommitSha": "go-module", "main.BuildDate": "toolchain" },
      versionCheck: { binary: "redis_exporter", args: ["--version"], expect: `v${redis}` },
    },
    {
      name: "kube-state-metrics",
      version: ksm,
      pinnedBy: by("kubeStateMetrics"),
      require: { "k8s.io/kube-state-metrics/v2": `v${ksm}` },
      packages: [{ pkg: "k8s.io/kube-state-metrics/v2", out: "kube-state-metrics" }],
      versionVars: promVersionVars(`v${ksm}`),
      versionCheck: { binary: "kube-state-metrics", args: ["version"], expect: `v${ksm}` },
    },
    {
      name: "otelcol",
      version: otelcol,
      pinnedBy: by("otelCollectorContrib"),
      require: collectorModules,
      packages: [{ pkg: ".", out: "otelcol-contrib" }],
      mainGo: collectorMain(otelcol),
      versionCheck: { binary: "otelcol-contrib", args: ["--version"], expect: `otelcol-contrib version ${otelcol}` },
    },
    {
      name: "jaeger",
      version: jaeger,
      pinnedBy: by("jaeger"),
      require: { "github.com/jaegertracing/jaeger": jaegerModuleVersion(jaeger) },
      replace: { "github.com/Shopify/sarama": "github.com/Shopify/sarama@v1.33.0" },
      packages: [{ pkg: "github.com/jaegertracing/jaeger/cmd/jaeger", out: "jaeger" }],
      versionVars: { "github.com/jaegertracing/jaeger/internal/version.latestVersion": `v${jaeger}`, "github.com/jaegertracing/jaeger/internal/version.commitSHA": "go-module" },
      versionCheck: { binary: "jaeger", args: ["version"], expect: `v${jaeger}` },
    },
    {
      name: "rclone",
      version: rclone,
      pinnedBy: by("rclone"),
      require: { "github.com/rclone/rclone": `v${rclone}` },
      packages: [{ pkg: "github.com/rclone/rclone", out: "rclone" }],
      // Unset, fs.Version is VersionTag plus the "DEV" suffix of a source build.
      versionVars: { "github.com/rclone/rclone/fs.Version": `v${rclone}` },
      versionCheck: { binary: "rclone", args: ["version"], expect: `rclone v${rclone}` },
    },
    {
      name: "etcd",
      version: ETCD_VERSION,
      pinnedBy: `scripts/toolchain/recipes.ts ETCD_VERSION (the etcd of Kubernetes ${KUBERNETES_VERSION})`,
      // server/v3's own replaces are local folders of etcd's repository: at one release, the proxy's modules are the same code.
      require: { "go.etcd.io/etcd/server/v3": `v${ETCD_VERSION}` },
      packages: [{ pkg: "go.etcd.io/etcd/server/v3", out: "etcd" }],
      // The release itself is a constant of api/v3; only the commit is a build variable.
      versionVars: { "go.etcd.io/etcd/api/v3/version.GitSHA": "go-module" },
      versionCheck: { binary: "etcd", args: ["--version"], expect: `etcd Version: ${ETCD_VERSION}` },
    },
    {
      name: "kubernetes",
      version: KUBERNETES_VERSION,
      pinnedBy: "scripts/toolchain/recipes.ts KUBERNETES_VERSION",
      require: { "k8s.io/kubernetes": `v${KUBERNETES_VERSION}` },
      replace: Object.fromEntries(KUBERNETES_STAGING_MODULES.map((m) => [`k8s.io/${m}`, `k8s.io/${m}@${kubernetesStagingVersion(KUBERNETES_VERSION)}`])),
      packages: [
        { pkg: "k8s.io/kubernetes/cmd/kube-apiserver", out: "kube-apiserver" },
        { pkg: "k8s.io/kubernetes/cmd/kube-controller-manager", out: "kube-controller-manager" },
        { pkg: "k8s.io/kubernetes/cmd/kube-scheduler", out: "kube-scheduler" },
      ],
      // Without them a build reports v0.0.0-master, which clients (pulumi-kubernetes among them) refuse or misjudge.
      versionVars: {
        "k8s.io/component-base/version.gitVersion": `v${KUBERNETES_VERSION}`,
        "k8s.io/component-base/version.gitMajor": kubeMajor,
        "k8s.io/component-base/version.gitMinor": kubeMinor,
        "k8s.io/component-base/version.gitTreeState": "clean",
      },
      versionCheck: { binary: "kube-apiserver", args: ["--version"], expect: `Kubernetes v${KUBERNETES_VERSION}` },
    },
    {
      name: "kwok",
      version: KWOK_VERSION,
      pinnedBy: "scripts/toolchain/recipes.ts KWOK_VERSION",
      require: { "sigs.k8s.io/kwok": `v${KWOK_VERSION}` },
      packages: [{ pkg: "sigs.k8s.io/kwok/cmd/kwok", out: "kwok" }],
      versionVars: { "sigs.k8s.io/kwok/pkg/consts.Version": `v${KWOK_VERSION}` },
      // kwok alone simulates nothing until it is given stages; kwokctl embeds these defaults (nodes
      // turn Ready and heartbeat, pods turn Running and Ready, deleted pods go): the same files.
      dataFiles: {
        module: "sigs.k8s.io/kwok",
        files: ["kustomize/stage/node/fast/node-initialize.yaml", "kustomize/stage/node/heartbeat/node-heartbeat.yaml", "kustomize/stage/pod/fast/pod-ready.yaml", "kustomize/stage/pod/fast/pod-complete.yaml", "kustomize/stage/pod/fast/pod-delete.yaml"],
      },
      versionCheck: { binary: "kwok", args: ["--version"], expect: `v${KWOK_VERSION}` },
    },
    {
      name: "pulumi",
      version: locked.pulumi,
      pinnedBy: `package-lock.json @pulumi/pulumi ${locked.pulumi}`,
      require: { "github.com/pulumi/pulumi/pkg/v3": `v${locked.pulumi}`, "github.com/pulumi/pulumi/sdk/v3": `v${locked.pulumi}` },
      replace: { "github.com/atotto/clipboard": "github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e" },
      packages: [{ pkg: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi", out: "pulumi" }],
      versionVars: { "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version": `v${locked.pulumi}` },
      versionCheck: { binary: "pulumi", args: ["version"], expect: `v${locked.pulumi}` },
    },
  ];
}

/**
 * What the issue asks for but the Go module proxy these machines reach does not serve, each
 * with the exact request that is refused. The builder asks for each again on every run and
 * reports it, so the day the proxy serves one, the message says so and the recipe can move
 * into `recipes()`.
 */
export function unobtainable(lockText: string): { name: string; version: string; module: string; why: string }[] {
  const locked = lockedVersions(lockText);
  return [
    {
      name: "pulumi-language-nodejs",
      version: locked.pulumi,
      module: `github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v${locked.pulumi}`,
      why: "an untagged module (fetched as a pseudo-version of the release commit): the proxy here lists no version of it and refuses commit queries",
    },
    {
      name: "pulumi-resource-docker",
      version: locked.docker,
      module: `github.com/pulumi/pulumi-docker/provider/v${locked.docker.split(".")[0]}@v${locked.docker}`,
      why: "the proxy here serves no version of the provider module (nor of pulumi-docker's sdk/v5)",
    },
    {
      name: "pulumi-resource-random",
      version: locked.random,
      module: `github.com/pulumi/pulumi-random/provider/v4@v${locked.random}`,
      why: "the proxy here serves no version of the provider module (its sdk/v4 tag is served, the provider's pseudo-version is refused)",
    },
    {
      name: "pulumi-resource-tls",
      version: locked.tls,
      module: `github.com/pulumi/pulumi-tls/provider/v5@v${locked.tls}`,
      why: "the proxy here serves no version of the provider module (refused with 403)",
    },
    {
      name: "pulumi-resource-kubernetes",
      version: locked.kubernetes,
      module: `github.com/pulumi/pulumi-kubernetes/provider/v4@v${locked.kubernetes}`,
      why: "the proxy here serves one pseudo-version of the provider module, v4.0.0-20260115033456-f47bc2d6f199 (January 2026), not the release the npm package asks for",
    },
  ];
}
