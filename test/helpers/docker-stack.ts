import { spawnSync } from "child_process";
import { STAND_IN_REGISTRY } from "../../scripts/images/recipes";
import { allowStatus, dockerApi } from "./docker-engine";

/** The stack config of the Docker deploy test and bench: metrics, alerting and tracing on the stand-in images. */

/** The images that config runs (Grafana, Loki and Alloy are off: AGPL, not built here; cAdvisor off: it needs cgo). */
export const STACK_IMAGES = [
  "prometheus", "alertmanager", "nodeExporter", "blackboxExporter", "otelCollectorContrib", "jaeger", "dockerSocketProxy",
] as const;

/** The busybox base of the stand-ins, for a test's own application container ("" when not built). */
export function busyboxImage(): string {
  const out = spawnSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", `${STAND_IN_REGISTRY}/base-busybox`], { encoding: "utf8" }).stdout ?? "";
  return out.trim().split("\n")[0] ?? "";
}

/** Removes every container, network and volume named `<prefix>-*`: what an earlier run left. */
export async function cleanUpStack(prefix: string): Promise<void> {
  for (const c of await dockerApi<any[]>("GET", "/containers/json?all=true")) {
    if (c.Names.some((n: string) => n.startsWith(`/${prefix}-`))) await dockerApi("DELETE", `/containers/${c.Id}?force=true`);
  }
  for (const n of await dockerApi<any[]>("GET", "/networks")) if (n.Name.startsWith(`${prefix}-`)) await dockerApi("DELETE", `/networks/${n.Id}`);
  for (const v of (await dockerApi<any>("GET", "/volumes")).Volumes ?? []) if (v.Name.startsWith(`${prefix}-`)) await dockerApi("DELETE", `/volumes/${v.Name}`);
}

export interface Ports { prometheus: number; alertmanager: number; otlpGrpc: number; otlpHttp: number; query: number }

export interface StackOptions {
  stack: string;
  ports: Ports;
  /** Where the receivers' webhooks point (`/default/`, `/oncall/`, `/deadman/` under it). */
  receiverUrl: string;
  /** A marker in every webhook URL, to find where the secrets went. */
  canary: string;
  scrapeInterval: string;
  retention?: string;
}

/** The config as the engine hands it to the program (`observability:<key>` -> value), and its secret keys. */
export function stackConfig(o: StackOptions): { config: Record<string, string>; secretKeys: string[] } {
  const raw: Record<string, unknown> = {
    platform: "docker",
    images: { registry: STAND_IN_REGISTRY },
    docker: { bindAddress: "127.0.0.1", retainVolumes: true },
    prometheus: { retention: o.retention ?? "3d", scrapeInterval: o.scrapeInterval, evaluationInterval: o.scrapeInterval, hostPort: o.ports.prometheus },
    exporters: { node: { enabled: true }, cadvisor: { enabled: false }, blackbox: { enabled: true, http: ["http://prometheus:9090/-/healthy"] } },
    alertmanager: { replicas: 1, hostPort: o.ports.alertmanager },
    alerting: {
      receivers: [
        { name: "default", webhook: [{ sendResolved: false }] },
        { name: "oncall", webhook: [{ sendResolved: false }] },
        { name: "deadman", webhook: [{ sendResolved: false }] },
      ],
      route: {
        receiver: "default",
        groupWait: "1s",
        groupInterval: "30s",
        repeatInterval: "4h",
        routes: [{ matchers: ['severity="critical"'], receiver: "oncall" }],
      },
      watchdog: { receiver: "deadman", repeatInterval: "40s" },
    },
    scrapeTargets: [{ job: "shop", targets: ["shop:8080"], metricsPath: "/metrics.txt" }],
    logs: { enabled: false },
    tracing: { backend: "jaeger", retention: "3d", hostPorts: { otlpGrpc: o.ports.otlpGrpc, otlpHttp: o.ports.otlpHttp, query: o.ports.query } },
    grafana: { enabled: false },
  };
  const secrets = {
    "default.webhook[0]": `${o.receiverUrl}/default/${o.canary}`,
    "oncall.webhook[0]": `${o.receiverUrl}/oncall/${o.canary}`,
    "deadman.webhook[0]": `${o.receiverUrl}/deadman/${o.canary}`,
  };
  const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`observability:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
  config["observability:alertingSecrets"] = JSON.stringify(secrets);
  return { config, secretKeys: ["observability:alertingSecrets"] };
}

/**
 * The user's application of the tests: metrics on :8080 (`/metrics.txt`: busybox httpd types a file
 * by its extension, and Prometheus 3 requires text/plain), opted in to discovery by labels, on the
 * stack's network as `shop`, the `shop` scrape target of `stackConfig`.
 */
export async function createShopApp(prefix: string): Promise<string> {
  const name = `${prefix}-shop`;
  await dockerApi("POST", `/containers/create?name=${name}`, {
    Image: busyboxImage(),
    Cmd: ["sh", "-c", "mkdir -p /tmp/www && printf 'shop_orders_total 42\\n' > /tmp/www/metrics.txt && exec httpd -f -p 8080 -h /tmp/www"],
    User: "65534:65534",
    Labels: { "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics.txt", "prometheus.io/service": "shop" },
    HostConfig: { NetworkMode: `${prefix}-network`, RestartPolicy: { Name: "no" } },
    NetworkingConfig: { EndpointsConfig: { [`${prefix}-network`]: { Aliases: ["shop"] } } },
  });
  await dockerApi("POST", `/containers/${name}/start`);
  return name;
}

/** Removes the application container of `createShopApp`, if there is one. */
export async function removeShopApp(prefix: string): Promise<void> {
  await allowStatus(dockerApi("DELETE", `/containers/${prefix}-shop?force=true`), 404);
}
