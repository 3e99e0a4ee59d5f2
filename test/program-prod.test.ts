import { MockRecorder, plainOccurrences } from "./helpers/mocks";
import { images, runProgram } from "./helpers/program";
import { testSecrets } from "./helpers/stack-files";
import { validateRecordedKubernetesObjects } from "./helpers/k8s-schema";
import { isPinned } from "../components/versions";

// `pulumi preview --stack prod`: index.ts under mocks with Pulumi.prod.yaml and its secrets.
describe("the prod stack (Kubernetes)", () => {
  let recorder: MockRecorder;
  beforeAll(async () => {
    ({ recorder } = await runProgram("prod"));
  });

  it("deploys Prometheus as a StatefulSet, node-exporter as a DaemonSet and the other exporters as Deployments", () => {
    const names = (type: string) => recorder.byType(type).map((r) => r.inputs.metadata.labels["app.kubernetes.io/name"]).sort();
    expect(names("kubernetes:apps/v1:StatefulSet")).toStrictEqual(["prometheus"]);
    expect(names("kubernetes:apps/v1:DaemonSet")).toStrictEqual(["node-exporter"]);
    expect(names("kubernetes:apps/v1:Deployment")).toStrictEqual(["blackbox-exporter", "kube-state-metrics", "postgres-exporter", "redis-exporter"]);
  });

  it("creates no Docker resource", () => {
    expect(recorder.resources.filter((r) => r.type.startsWith("docker:"))).toStrictEqual([]);
  });

  it("validates every Kubernetes object against the Kubernetes schema", () => {
    expect(recorder.resources.filter((r) => r.type.startsWith("kubernetes:")).length).toBeGreaterThanOrEqual(30);
    expect(validateRecordedKubernetesObjects(recorder.resources)).toStrictEqual([]);
  });

  it("pins every image", () => {
    for (const image of images(recorder.resources)) expect(isPinned(image)).toBe(true);
  });

  it("never puts a secret in plain text into any resource", () => {
    for (const secret of Object.values(testSecrets)) {
      const leaks = recorder.resources.flatMap((r) => plainOccurrences(r.inputs, secret).map((p) => `${r.type} ${r.name} ${p}`));
      expect(leaks).toStrictEqual([]);
    }
    const secretObjects = recorder.byType("kubernetes:core/v1:Secret");
    expect(secretObjects.length).toBeGreaterThanOrEqual(2);
  });
});
