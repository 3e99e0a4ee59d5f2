import * as pulumi from "@pulumi/pulumi";
import { MockRecorder } from "./helpers/mocks";
import { images, runProgram } from "./helpers/program";
import { isPinned } from "../components/versions";

// `pulumi preview --stack dev`: index.ts under mocks with Pulumi.dev.yaml.
describe("the dev stack (Docker)", () => {
  let recorder: MockRecorder;
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    ({ recorder, outputs } = await runProgram("dev"));
  });

  it("deploys Prometheus, node-exporter, cAdvisor, the blackbox exporter and the discovery proxy as containers", () => {
    const containers = recorder.byType("docker:index/container:Container").map((c) => c.inputs.name).sort();
    expect(containers).toStrictEqual(["obs-dev-blackbox-exporter", "obs-dev-cadvisor", "obs-dev-docker-socket-proxy", "obs-dev-node-exporter", "obs-dev-prometheus"]);
    // The stack's network, and the internal one only the socket proxy and Prometheus share.
    expect(recorder.byType("docker:index/network:Network").map((n) => [n.inputs.name, n.inputs.internal])).toStrictEqual([
      ["obs-dev-network", false],
      ["obs-dev-discovery", true],
    ]);
  });

  it("creates no Kubernetes object", () => {
    expect(recorder.resources.filter((r) => r.type.startsWith("kubernetes:"))).toStrictEqual([]);
  });

  it("pins every image to a version from components/versions.ts", () => {
    const all = images(recorder.resources);
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const image of all) expect(isPinned(image)).toBe(true);
  });

  it("publishes only the Prometheus UI, and only on 127.0.0.1", () => {
    const published = recorder
      .byType("docker:index/container:Container")
      .flatMap((c) => (c.inputs.ports ?? []).map((p: { ip: string; external: number }) => `${c.inputs.name} ${p.ip}:${p.external}`));
    expect(published).toStrictEqual(["obs-dev-prometheus 127.0.0.1:9090"]);
  });

  it("keeps Prometheus' data in a volume retained on destroy", () => {
    const volumes = recorder.byType("docker:index/volume:Volume");
    expect(volumes.map((v) => v.inputs.name)).toStrictEqual(["obs-dev-prometheus-data"]);
    expect(volumes[0].opts?.retainOnDelete).toBe(true);
  });

  it("exports the Prometheus URL", async () => {
    const url = await new Promise((resolve) => (outputs.prometheusUrl as pulumi.Output<string>).apply(resolve));
    expect(url).toBe("http://127.0.0.1:9090");
  });
});

