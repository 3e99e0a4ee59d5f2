import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DashboardLoadError } from "../dashboards";
import { DATASOURCE_UIDS, FOLDERS } from "../dashboards/common";
import { datasourceReferences } from "../dashboards/validate";
import { grafanaHostPortClaims, grafanaIssues, grafanaSchema } from "../components/grafana/config";
import { configPath } from "../components/stack/config-loader";
import { grafanaEnv, grafanaSpec } from "../components/grafana/workloads";
import { checkDashboards, folderUid, grafanaDatasources, planDashboards } from "../components/grafana/provisioning";
import { images } from "../components/shared/versions";

const ALL_URLS = {
  prometheusUrl: "http://prometheus:9090",
  lokiUrl: "http://loki:3100",
  tracesUrl: "http://tempo:3200",
  alertmanagerUrl: "http://alertmanager:9093",
};

/** An issue as the loader prints it (`load.ts` joins path and message with a space for "is ..."). */
const text = ([p, message]: [(string | number)[], string]) => `${configPath(p)} ${message}`;

describe("grafana config", () => {
  it("defaults to a deployed Grafana on port 3000 with a 5Gi volume and the admin login admin", () => {
    expect(grafanaSchema.parse({})).toStrictEqual({
      enabled: true,
      exampleDashboards: false,
      mode: "deploy",
      hostPort: 3000,
      storageSize: "5Gi",
      adminUser: "admin",
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    });
  });

  it.each<[string, unknown, string]>([
    ["an unknown mode", { mode: "cloud" }, '"cloud" is not a Grafana mode (modes: deploy, existing)'],
    ["a URL that is not http(s)", { url: "grafana:3000" }, '"grafana:3000" is not an http(s) URL (e.g. https://example.com/health)'],
    ["an admin login with a colon", { adminUser: "ad:min" }, '"ad:min" is not a login (letters, digits, . _ @ -; no ":" since it is sent as user:password)'],
    ["a misspelt field", { hostport: 3000 }, "is not a known field (fields: adminUser, dashboardsDir, enabled, exampleDashboards, hostPort, mode, resources, storageSize, url)"],
  ])("rejects %s, saying why", (_what, input, message) => {
    const result = grafanaSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message)).toStrictEqual([message]);
  });

  it("requires the url and the token in existing mode, naming both paths", () => {
    const cfg = grafanaSchema.parse({ mode: "existing" });
    expect(grafanaIssues(cfg, "docker", new Set()).map(text)).toStrictEqual([
      "observability:grafana.url is required when grafana.mode is existing (e.g. https://grafana.example.com)",
      "observability:grafanaToken is required when grafana.mode is existing: pulumi config set --secret grafanaToken <service account token>",
    ]);
    expect(grafanaIssues(grafanaSchema.parse({ mode: "existing", url: "https://grafana.example.com" }), "kubernetes", new Set(["grafanaToken"]))).toStrictEqual([]);
  });

  it("requires a url for a deployed Grafana on Kubernetes only: nothing is published on a node", () => {
    const cfg = grafanaSchema.parse({});
    expect(grafanaIssues(cfg, "kubernetes", new Set()).map(text)).toStrictEqual([
      "observability:grafana.url is required on Kubernetes: the Grafana provider runs where pulumi up runs and must reach Grafana from there (an ingress such as https://grafana.example.com, or a port-forward such as http://127.0.0.1:3000)",
    ]);
    expect(grafanaIssues(cfg, "docker", new Set())).toStrictEqual([]);
    expect(grafanaIssues(grafanaSchema.parse({ enabled: false, mode: "existing" }), "kubernetes", new Set())).toStrictEqual([]);
  });

  it("claims its host port on Docker only when it deploys Grafana", () => {
    expect(grafanaHostPortClaims(grafanaSchema.parse({ hostPort: 3001 }))).toStrictEqual([[["grafana", "hostPort"], 3001]]);
    expect(grafanaHostPortClaims(grafanaSchema.parse({ mode: "existing" }))).toStrictEqual([]);
  });
});

describe("the Grafana workload", () => {
  it("is stateful on /var/lib/grafana, probed on /api/health, runs as grafana (472) and keeps the password in a secret file", () => {
    const spec = grafanaSpec(grafanaSchema.parse({ storageSize: "8Gi" }), "pw");
    expect(spec.image).toBe(images.grafana);
    expect(spec.volume).toStrictEqual({ mountPath: "/var/lib/grafana", size: "8Gi" });
    expect(spec.probe).toStrictEqual({ http: { path: "/api/health", port: 3000 }, initialDelaySeconds: 30 });
    expect(spec.ports).toStrictEqual([{ name: "http", port: 3000, hostPort: 3000, ingress: "any" }]);
    expect(spec.user).toStrictEqual({ uid: 472, gid: 472 });
    expect(spec.secretEnv).toBeUndefined();
    expect(spec.files).toStrictEqual([{ path: "/run/secrets/grafana/admin-password", content: "pw", secret: true }]);
    expect(spec.env?.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe("/run/secrets/grafana/admin-password");
    expect(Object.values(spec.env ?? {})).not.toContain("pw");
  });

  it("turns sign-up, anonymous access and every outbound call off, and keeps the login form", () => {
    expect(grafanaEnv(grafanaSchema.parse({}))).toStrictEqual({
      GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
      GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
      GF_ANALYTICS_REPORTING_ENABLED: "false",
      GF_AUTH_ANONYMOUS_ENABLED: "false",
      GF_AUTH_DISABLE_LOGIN_FORM: "false",
      GF_METRICS_ENABLED: "true",
      GF_PATHS_DATA: "/var/lib/grafana",
      GF_SECURITY_ADMIN_USER: "admin",
      GF_SECURITY_COOKIE_SECURE: "false",
      GF_SECURITY_DISABLE_GRAVATAR: "true",
      GF_SERVER_HTTP_PORT: "3000",
      GF_SERVER_ROOT_URL: "http://127.0.0.1:3000",
      GF_SNAPSHOTS_EXTERNAL_ENABLED: "false",
      GF_USERS_ALLOW_SIGN_UP: "false",
    });
  });

  it("marks cookies Secure and uses the configured URL as root URL when served over https", () => {
    const env = grafanaEnv(grafanaSchema.parse({ url: "https://grafana.example.com", adminUser: "ops" }));
    expect([env.GF_SECURITY_COOKIE_SECURE, env.GF_SERVER_ROOT_URL, env.GF_SECURITY_ADMIN_USER]).toStrictEqual(["true", "https://grafana.example.com", "ops"]);
  });

  it("configures Grafana's own SMTP from the alert routing, the password as a secret file", () => {
    const spec = grafanaSpec(grafanaSchema.parse({}), "pw", { host: "smtp.example.com:587", from: "a@example.com", user: "alerts", password: "smtp-pw", requireTls: true });
    expect(spec.env).toMatchObject({ GF_SMTP_ENABLED: "true", GF_SMTP_HOST: "smtp.example.com:587", GF_SMTP_FROM_ADDRESS: "a@example.com", GF_SMTP_USER: "alerts", GF_SMTP_STARTTLS_POLICY: "MandatoryStartTLS" });
    expect(spec.env).toMatchObject({ GF_SECURITY_ADMIN_PASSWORD__FILE: "/run/secrets/grafana/admin-password", GF_SMTP_PASSWORD__FILE: "/run/secrets/grafana/smtp-password" });
    expect(spec.files).toStrictEqual([
      { path: "/run/secrets/grafana/admin-password", content: "pw", secret: true },
      { path: "/run/secrets/grafana/smtp-password", content: "smtp-pw", secret: true },
    ]);
    expect(spec.secretEnv).toBeUndefined();
  });
});

describe("datasources", () => {
  it("gives each backend its stable uid, Prometheus as default", () => {
    const ds = grafanaDatasources({ ...ALL_URLS, tracesBackend: "tempo" });
    expect(ds.map((d) => [d.uid, d.type, d.url, d.isDefault])).toStrictEqual([
      ["prometheus", "prometheus", "http://prometheus:9090", true],
      ["loki", "loki", "http://loki:3100", false],
      ["traces", "tempo", "http://tempo:3200", false],
      ["alertmanager", "alertmanager", "http://alertmanager:9093", false],
    ]);
    expect(ds.map((d) => d.uid)).toStrictEqual([DATASOURCE_UIDS.prometheus, DATASOURCE_UIDS.loki, DATASOURCE_UIDS.traces, DATASOURCE_UIDS.alertmanager]);
  });

  it.each(["jaeger", "tempo"] as const)("links metrics, logs and %s traces to datasources that exist", (backend) => {
    const ds = grafanaDatasources({ ...ALL_URLS, tracesBackend: backend });
    const uids = new Set(ds.map((d) => d.uid));
    const linked = JSON.stringify(ds.map((d) => d.jsonData)).match(/"datasourceUid":"[^"]+"/g)!.map((m) => m.slice(17, -1));
    expect(new Set(linked)).toStrictEqual(new Set(["traces", "loki", "prometheus"]));
    for (const uid of linked) expect(uids.has(uid)).toBe(true);
    const traces = ds.find((d) => d.uid === "traces")!;
    expect(traces.type).toBe(backend);
    expect(Object.keys(traces.jsonData).sort()).toStrictEqual(backend === "tempo" ? ["nodeGraph", "serviceMap", "tracesToLogsV2", "tracesToMetrics"] : ["nodeGraph", "tracesToLogsV2", "tracesToMetrics"]);
  });

  it("makes no link to a datasource that is not there", () => {
    const ds = grafanaDatasources({ prometheusUrl: ALL_URLS.prometheusUrl, lokiUrl: ALL_URLS.lokiUrl });
    expect(ds.map((d) => [d.uid, d.jsonData])).toStrictEqual([
      ["prometheus", { httpMethod: "POST" }],
      ["loki", { maxLines: 1000 }],
    ]);
  });

  it("lets Alertmanager show Prometheus' alerts without receiving Grafana's (those route through contact points)", () => {
    expect(grafanaDatasources({ alertmanagerUrl: ALL_URLS.alertmanagerUrl })[0].jsonData).toStrictEqual({ implementation: "prometheus", handleGrafanaManagedAlerts: false });
  });
});

describe("dashboards to push", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "obs-grafana-config-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("gives every folder a stable uid", () => {
    expect(Object.values(FOLDERS).map(folderUid)).toStrictEqual(["obs-infrastructure", "obs-applications", "obs-databases", "obs-observability", "obs-examples"]);
    expect(folderUid("Custom")).toBe("obs-custom");
  });

  it("pushes every built-in dashboard when every datasource exists, each reference resolving", () => {
    const uids = grafanaDatasources(ALL_URLS).map((d) => d.uid);
    const plan = planDashboards({ datasourceUids: uids });
    expect(plan.skipped).toStrictEqual([{ uid: "obs-example-business", reason: "an example: pushed only when asked for" }]);
    expect(plan.dashboards.map((d) => d.uid)).toContain("obs-traces");
    for (const d of plan.dashboards) for (const ref of datasourceReferences(d.build())) expect(uids).toContain(ref.uid);
  });

  it("skips the built-in dashboards whose datasource the stack does not create (tracing and logs off)", () => {
    const plan = planDashboards({ datasourceUids: ["prometheus", "alertmanager"] });
    expect(plan.skipped).toStrictEqual([
      { uid: "obs-example-business", reason: "an example: pushed only when asked for" },
      { uid: "obs-logs", reason: "reads datasource loki, which this stack does not create" },
      { uid: "obs-traces", reason: "reads datasource traces, which this stack does not create" },
    ]);
    expect(plan.dashboards.map((d) => d.uid)).not.toContain("obs-traces");
  });

  it("adds the user's dashboards in the Custom folder", () => {
    const plan = planDashboards({ datasourceUids: ["prometheus"], dashboardsDir: "test/fixtures/dashboards/user" });
    expect(plan.dashboards.filter((d) => d.folder === "Custom").map((d) => d.uid)).toStrictEqual(["team-checkout", "team-api"]);
  });

  it("returns the user's folder's problems apart from the built-in dashboards', each naming its file", () => {
    const dir = path.join(tmp, "two-problems");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "a.json"), JSON.stringify({ uid: "obs-host", title: "A" }));
    fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify({ title: "B" }));
    const { plan, problems } = checkDashboards({ datasourceUids: ["prometheus"], dashboardsDir: dir });
    expect(problems).toStrictEqual({
      builtIn: [],
      user: [
        `${path.join(dir, "b.json")}: dashboard has no "uid" (give it a stable uid: links and bookmarks depend on it)`,
        `${path.join(dir, "a.json")}: dashboard uid "obs-host" is already used by the built-in dashboard "Host (node-exporter)"; give each dashboard a uid of its own`,
      ],
    });
    expect(plan.dashboards.filter((d) => d.folder === "Custom")).toStrictEqual([]);
    expect(() => planDashboards({ datasourceUids: ["prometheus"], dashboardsDir: dir })).toThrow(DashboardLoadError);
  });

  it("rejects a user dashboard whose query does not parse", () => {
    const dir = path.join(tmp, "bad-query");
    fs.mkdirSync(dir);
    const json = { uid: "mine", title: "Mine", panels: [{ title: "Q", datasource: { uid: "prometheus", type: "prometheus" }, targets: [{ refId: "A", expr: "sum(rate(up[5m])" }] }] };
    fs.writeFileSync(path.join(dir, "mine.json"), JSON.stringify(json));
    let error: unknown;
    try {
      planDashboards({ datasourceUids: ["prometheus"], dashboardsDir: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DashboardLoadError);
    expect((error as DashboardLoadError).problems).toHaveLength(1);
    expect((error as DashboardLoadError).problems[0]).toMatch(new RegExp(`^${path.join(dir, "mine.json").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: panel "Q" query A: PromQL at line 1, column \\d+: `));
  });
});
