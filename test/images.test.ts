import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle } from "./helpers/mocks";

const recorder = installMocks({ stack: "images" });
import { ConfigError, parseStackConfig } from "../components/stack/config-loader";
import { ObservabilityStack } from "../components/stack/observability-stack";
import { images, isPinned, resolveImage, withoutRegistry } from "../components/shared/versions";
import { images as imagesOf } from "./helpers/program";

/**
 * Images for air-gapped users: `images.registry` replaces each image's registry host (as
 * kube-prometheus-stack's `global.imageRegistry`), `images.overrides` names whole references,
 * each still pinned, checked at preview with path-named errors.
 */

describe("resolveImage", () => {
  it.each([
    ["quay.io/prometheus/prometheus:v3.16.0", {}, "quay.io/prometheus/prometheus:v3.16.0"],
    ["quay.io/prometheus/prometheus:v3.16.0", { registry: "mirror.example.com/cache" }, "mirror.example.com/cache/prometheus/prometheus:v3.16.0"],
    ["docker.io/grafana/grafana:12.4.10", { registry: "localhost:5000/" }, "localhost:5000/grafana/grafana:12.4.10"],
    ["registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0", { registry: "10.0.0.1:5000" }, "10.0.0.1:5000/kube-state-metrics/kube-state-metrics:v2.20.0"],
    ["quay.io/prometheus/prometheus:v3.16.0", { registry: "mirror.example.com", overrides: { prometheus: "registry.internal/prom@sha256:" + "a".repeat(64) } }, "registry.internal/prom@sha256:" + "a".repeat(64)],
    // Not one of the stack's images: only the registry applies.
    ["example/app:1.0", { registry: "mirror.example.com", overrides: { prometheus: "x/p:v1" } }, "mirror.example.com/example/app:1.0"],
  ])("%s with %j is %s", (image, source, expected) => {
    expect(resolveImage(image, source)).toBe(expected);
  });

  it("keeps every stack image pinned behind a mirror", () => {
    for (const image of Object.values(images)) expect([image, isPinned(resolveImage(image, { registry: "mirror.example.com" }))]).toStrictEqual([image, true]);
  });

  it("strips only a registry host, as Docker reads a reference", () => {
    expect(withoutRegistry("quay.io/prometheus/prometheus:v3.16.0")).toBe("prometheus/prometheus:v3.16.0");
    expect(withoutRegistry("localhost/app:1")).toBe("app:1");
    expect(withoutRegistry("grafana/grafana:12.4.10")).toBe("grafana/grafana:12.4.10");
  });
});

describe("images config", () => {
  const errorsOf = (raw: Record<string, unknown>): string[] => {
    try {
      parseStackConfig({ platform: "docker", ...raw }, { names: ["alertingSecrets"], alertingKeys: [] });
    } catch (e) {
      if (e instanceof ConfigError) return e.issues;
      throw e;
    }
    throw new Error("expected the config to be rejected");
  };

  it.each([
    ["a registry with a scheme", { images: { registry: "https://mirror.example.com" } }, 'observability:images.registry: "https://mirror.example.com" is not a registry (a host, an optional :port and path, e.g. mirror.example.com/cache or localhost:5000; no scheme, no tag)'],
    ["a registry with a tag", { images: { registry: "mirror.example.com/cache:v1" } }, 'observability:images.registry: "mirror.example.com/cache:v1" is not a registry (a host, an optional :port and path, e.g. mirror.example.com/cache or localhost:5000; no scheme, no tag)'],
    ["an override on latest", { images: { overrides: { prometheus: "mirror.example.com/prometheus:latest" } } }, 'observability:images.overrides.prometheus: "mirror.example.com/prometheus:latest" is not pinned: give a version tag or a digest (e.g. prometheus/prometheus:v3.16.0 or <image>@sha256:<64 hex digits>)'],
    ["an override with no tag", { images: { overrides: { grafana: "mirror.example.com/grafana" } } }, 'observability:images.overrides.grafana: "mirror.example.com/grafana" is not pinned: give a version tag or a digest (e.g. grafana/grafana:12.4.10 or <image>@sha256:<64 hex digits>)'],
  ])("rejects %s, naming the path", (_name, raw, message) => {
    expect(errorsOf(raw)).toStrictEqual([message]);
  });

  it("rejects an override of an image the stack does not have, listing the names", () => {
    expect(errorsOf({ images: { overrides: { promethus: "x/p:v1" } } })).toStrictEqual([
      'observability:images.overrides.promethus: "promethus" is not a known field (fields: alertmanager, alloy, blackboxExporter, cadvisor, dockerSocketProxy, glitchtip, glitchtipPostgres, glitchtipValkey, grafana, jaeger, kubeStateMetrics, loki, nodeExporter, opensearch, opensearchDashboards, otelCollectorContrib, postgresExporter, prometheus, rclone, redisExporter, tempo)',
    ]);
  });
});

describe.each(["docker", "kubernetes"] as const)("a stack with a mirror and an override on %s", (platform) => {
  const MIRROR = "mirror.example.com/cache";
  const GRAFANA = "registry.internal/grafana@sha256:" + "b".repeat(64);

  it("pulls every image from the mirror but the overridden one, which is used as given", async () => {
    recorder.reset();
    const grafana = platform === "kubernetes" ? { url: "https://grafana.example.com" } : {};
    new ObservabilityStack(`img${platform}`, {
      config: { platform, name: "m", grafana, images: { registry: MIRROR, overrides: { grafana: GRAFANA } } } as never,
      secrets: { alertingSecrets: { "default.webhook[0]": pulumi.secret("https://hooks.example.com/a") } },
    });
    await settle();
    const used = [...new Set(imagesOf(recorder.resources))].sort();
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((i) => i !== GRAFANA && !i.startsWith(`${MIRROR}/`))).toStrictEqual([]);
    expect(used).toContain(GRAFANA);
    expect(used).toContain(`${MIRROR}/prometheus/prometheus:v3.16.0`);
  });
});
