import * as pulumi from "@pulumi/pulumi";
import { installMocks, plainOccurrences, settle, unwrap } from "./helpers/mocks";

const recorder = installMocks({ stack: "alerting" });
import { AlertRouting } from "../components/alerting/alert-routing";
import { exampleAlerting, parseAlerting } from "../components/alerting/config";
import { parseStackConfig } from "../components/stack/config-loader";
import { DockerPlatform } from "../components/platform/docker";
import { KubernetesPlatform } from "../components/platform/kubernetes";

const routing = parseAlerting(exampleAlerting);
const credentials: Record<string, string> = {
  smtp: "smtp-S3cret-password",
  "default.webhook[0]": "https://hooks.example.com/default-S3cret",
  "oncall.pagerduty[0]": "pagerduty-S3cret-key",
  "chat.slack[0]": "https://hooks.slack.com/services/T0/B0/chat-S3cret",
  "db.slack[0]": "https://hooks.slack.com/services/T0/B0/db-S3cret",
  "deadmans-switch.webhook[0]": "https://deadman.example.com/S3cret",
};
const alertmanager = (over: Record<string, unknown> = {}) =>
  parseStackConfig({ platform: "docker", alertmanager: over }, { names: [], alertingKeys: ["default.webhook[0]"] }).alertmanager;

class Root extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Root", name, {}, { transformations: [recorder.transformation] });
  }
}

beforeEach(() => recorder.reset());

const leaks = () => Object.values(credentials).flatMap((secret) => recorder.resources.flatMap((r) => plainOccurrences(r.inputs, secret).map((p) => `${r.type} ${r.name} ${p}`)));

describe("AlertRouting", () => {
  it("keeps every receiver credential secret on Docker, where the rendered config is uploaded", async () => {
    const root = new Root("r1");
    const platform = new DockerPlatform("docker", { stackName: "obs" }, { parent: root });
    new AlertRouting("alerting", { platform, routing, secrets: credentials, alertmanager: alertmanager() }, { parent: root });
    await settle();
    const container = recorder.one("docker:index/container:Container", "obs-alertmanager");
    const uploaded = JSON.stringify(unwrap(container.inputs.uploads));
    // The credentials are really in the uploaded file, and only ever inside a secret.
    for (const secret of Object.values(credentials)) expect(uploaded).toContain(JSON.stringify(secret).slice(1, -1));
    expect(leaks()).toStrictEqual([]);
  });

  it("keeps every receiver credential secret on Kubernetes, where the config is a Secret", async () => {
    const root = new Root("r2");
    const platform = new KubernetesPlatform("k8s", { namespace: "obs" }, { parent: root });
    new AlertRouting("alerting", { platform, routing, secrets: credentials, alertmanager: alertmanager({ replicas: 2 }) }, { parent: root });
    await settle();
    expect(recorder.byType("kubernetes:core/v1:ConfigMap").filter((c) => JSON.stringify(unwrap(c.inputs)).includes("S3cret"))).toStrictEqual([]);
    expect(leaks()).toStrictEqual([]);
  });

  it("runs two Docker replicas as a gossip cluster that Prometheus sends to both of", async () => {
    const root = new Root("r3");
    const platform = new DockerPlatform("docker", { stackName: "obs" }, { parent: root });
    const am = new AlertRouting("alerting", { platform, routing, secrets: credentials, alertmanager: alertmanager({ replicas: 2 }) }, { parent: root });
    await settle();
    const args = unwrap(recorder.one("docker:index/container:Container", "obs-alertmanager-0").inputs.command) as string[];
    expect(args.filter((a) => a.startsWith("--cluster."))).toStrictEqual([
      "--cluster.listen-address=0.0.0.0:9094",
      "--cluster.peer=alertmanager-0:9094",
      "--cluster.peer=alertmanager-1:9094",
    ]);
    expect(am.alertmanagers).toStrictEqual([{ kind: "static", targets: ["alertmanager-0:9093", "alertmanager-1:9093"] }]);
    // Replicas cannot share one host port: a cluster is reached through its members.
    expect(recorder.one("docker:index/container:Container", "obs-alertmanager-0").inputs.ports).toStrictEqual([]);
  });

  it("turns clustering off for a single replica and publishes its UI on 127.0.0.1", async () => {
    const root = new Root("r4");
    const platform = new DockerPlatform("docker", { stackName: "obs" }, { parent: root });
    new AlertRouting("alerting", { platform, routing, secrets: credentials, alertmanager: alertmanager() }, { parent: root });
    await settle();
    const c = recorder.one("docker:index/container:Container", "obs-alertmanager").inputs;
    expect((unwrap(c.command) as string[]).filter((a) => a.startsWith("--cluster."))).toStrictEqual(["--cluster.listen-address="]);
    expect(c.ports).toStrictEqual([{ internal: 9093, external: 9093, ip: "127.0.0.1", protocol: "tcp" }]);
  });

});
