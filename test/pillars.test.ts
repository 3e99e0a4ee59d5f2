import * as pulumi from "@pulumi/pulumi";
import { installMocks, settle } from "./helpers/mocks";

const recorder = installMocks({ stack: "pillars" });
import { ObservabilityStack } from "../components/stack/observability-stack";

const SECRETS = { alertingSecrets: { "default.webhook[0]": pulumi.secret("https://hooks.example.com/a") } };

/** The resources (type and name) a stack registers. */
async function resources(platform: "docker" | "kubernetes", off: Record<string, unknown>, name: string): Promise<Set<string>> {
  recorder.reset();
  const grafana = platform === "kubernetes" ? { url: "https://grafana.example.com" } : {};
  new ObservabilityStack(name, { config: { platform, name: "p", grafana, ...off } as never, secrets: SECRETS });
  await settle();
  // Names carry the stack's name first; strip it so two stacks compare.
  return new Set(recorder.resources.map((r) => `${r.type} ${r.name.replace(new RegExp(`^${name}`), "")}`));
}

/** What each pillar's resources are called: its component, its workloads, its provider's resources. */
const pillars: [string, Record<string, unknown>, RegExp][] = [
  ["alerting", { alertmanager: { enabled: false } }, /alerting|alertmanager/],
  ["logs", { logs: { enabled: false } }, /-logs|loki|alloy/],
  // Grafana's traces datasource and dashboard belong to the tracing pillar.
  ["tracing", { tracing: { enabled: false } }, /tracing|otel-collector|jaeger|traces/],
  ["grafana", { grafana: { enabled: false } }, /grafana/],
];

describe.each(["docker", "kubernetes"] as const)("switching a pillar off on %s", (platform) => {
  let full: Set<string>;
  beforeAll(async () => {
    full = await resources(platform, {}, `full${platform}`);
  });

  it.each(pillars)("%s: removes exactly its own resources and adds none", async (pillar, off, own) => {
    const without = await resources(platform, off, `off${pillar}${platform}`);
    const removed = [...full].filter((r) => !without.has(r));
    const added = [...without].filter((r) => !full.has(r));
    expect(added).toStrictEqual([]);
    expect(removed.length).toBeGreaterThan(0);
    expect(removed.filter((r) => !own.test(r))).toStrictEqual([]);
    // And every resource of the pillar is gone.
    expect([...without].filter((r) => own.test(r))).toStrictEqual([]);
  });
});
