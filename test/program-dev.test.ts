import * as pulumi from "@pulumi/pulumi";
import { GENERATED_PASSWORD, isSecretInput, MockRecorder, plainOccurrences, unwrap } from "./helpers/mocks";
import { images, runProgram } from "./helpers/program";
import { secretsFor, testAlertingSecrets } from "./helpers/stack-files";
import { isPinned } from "../components/shared/versions";

// `pulumi preview --stack dev`: index.ts under mocks with Pulumi.dev.yaml and its one secret.
describe("the dev stack (Docker)", () => {
  let recorder: MockRecorder;
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    ({ recorder, outputs } = await runProgram("dev"));
  });

  const containers = () => recorder.byType("docker:index/container:Container");

  it("deploys every pillar as containers", () => {
    expect(containers().map((c) => c.inputs.name).sort()).toStrictEqual([
      "obs-dev-alertmanager",
      "obs-dev-alloy",
      "obs-dev-blackbox-exporter",
      "obs-dev-cadvisor",
      "obs-dev-docker-socket-proxy",
      "obs-dev-grafana",
      "obs-dev-jaeger",
      "obs-dev-loki",
      "obs-dev-node-exporter",
      "obs-dev-otel-collector",
      "obs-dev-prometheus",
    ]);
    // The stack's network, and the internal one only the socket proxy and its clients share.
    expect(recorder.byType("docker:index/network:Network").map((n) => [n.inputs.name, n.inputs.internal])).toStrictEqual([
      ["obs-dev-network", false],
      ["obs-dev-discovery", true],
    ]);
  });

  it("creates no Kubernetes object", () => {
    expect(recorder.resources.filter((r) => r.type.startsWith("kubernetes:"))).toStrictEqual([]);
  });

  it("pins every image to a version from components/shared/versions.ts", () => {
    const all = images(recorder.resources);
    expect(all.length).toBe(11);
    expect(all.filter((i) => !isPinned(i))).toStrictEqual([]);
  });

  it("publishes the UIs and push endpoints on 127.0.0.1 only", () => {
    const published = containers()
      .flatMap((c) => (c.inputs.ports ?? []).map((p: { ip: string; external: number }) => `${c.inputs.name} ${p.ip}:${p.external}`))
      .sort();
    expect(published).toStrictEqual([
      "obs-dev-alertmanager 127.0.0.1:9093",
      "obs-dev-grafana 127.0.0.1:3000",
      "obs-dev-jaeger 127.0.0.1:16686",
      "obs-dev-loki 127.0.0.1:3100",
      "obs-dev-otel-collector 127.0.0.1:4317",
      "obs-dev-otel-collector 127.0.0.1:4318",
      "obs-dev-prometheus 127.0.0.1:9090",
    ]);
  });

  it("keeps every data volume when the stack is destroyed", () => {
    const volumes = recorder.byType("docker:index/volume:Volume");
    expect(volumes.map((v) => v.inputs.name).sort()).toStrictEqual([
      "obs-dev-alertmanager-data",
      "obs-dev-alloy-data",
      "obs-dev-grafana-data",
      "obs-dev-jaeger-data",
      "obs-dev-loki-data",
      "obs-dev-prometheus-data",
    ]);
    expect(volumes.filter((v) => v.opts?.retainOnDelete !== true).map((v) => v.name)).toStrictEqual([]);
  });

  it("health-checks and waits on every container but the documented exception", () => {
    const unchecked = containers().filter((c) => c.inputs.healthcheck === undefined);
    expect(unchecked.map((c) => c.inputs.name)).toStrictEqual(["obs-dev-otel-collector"]);
    expect(unchecked[0].inputs.labels.map((l: { label: string }) => l.label)).toContain("observability.pulumi.com/no-healthcheck");
  });

  it("keeps the alert webhook credential secret on every resource", () => {
    const secret = JSON.parse(secretsFor("dev")["observability:alertingSecrets"])["default.webhook[0]"];
    expect(secret).toBe(testAlertingSecrets["default.webhook[0]"]);
    expect(recorder.resources.flatMap((r) => plainOccurrences(r.inputs, secret).map((p) => `${r.name} ${p}`))).toStrictEqual([]);
  });

  it("shows no secret in any container's environment (what `docker inspect` prints): they are secret files", () => {
    const webhook = testAlertingSecrets["default.webhook[0]"];
    for (const c of containers()) {
      expect([c.inputs.name, isSecretInput(c.inputs.envs)]).toStrictEqual([c.inputs.name, false]);
      for (const secret of [webhook, GENERATED_PASSWORD]) expect((c.inputs.envs as string[]).filter((e) => e.includes(secret))).toStrictEqual([]);
    }
    const grafana = containers().find((c) => c.inputs.name === "obs-dev-grafana")!;
    expect(grafana.inputs.envs).toContain("GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana/admin-password");
    expect(unwrap(grafana.inputs.uploads)).toContainEqual({ file: "/run/secrets/grafana/admin-password", content: GENERATED_PASSWORD, owner: "472", group: "472", permissions: "0400" });
  });

  it("exports Grafana's generated admin password as a secret", async () => {
    const password = outputs.grafanaAdminPassword as pulumi.Output<string>;
    expect(await pulumi.isSecret(password)).toBe(true);
  });

  it("exports every URL a user opens", async () => {
    const urls = await new Promise((resolve) => (outputs.urls as pulumi.Output<unknown>).apply(resolve));
    expect(urls).toStrictEqual({
      alertmanager: "http://127.0.0.1:9093",
      grafana: "http://127.0.0.1:3000",
      jaeger: "http://127.0.0.1:16686",
      loki: "http://127.0.0.1:3100",
      prometheus: "http://127.0.0.1:9090",
    });
  });
});
