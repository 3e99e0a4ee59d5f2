import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { validateRecordedKubernetesObjects } from "./helpers/k8s-schema";
import { GENERATED_PASSWORD, installMocks, isSecretInput, mockAutoName, plainOccurrences, RegisteredResource, settle, unwrap } from "./helpers/mocks";

// Mocks first: the components and the providers they load are imported after them.
const recorder = installMocks();
const GENERATED = GENERATED_PASSWORD;

import * as k8s from "@pulumi/kubernetes";
import { AlertingSecrets, exampleAlerting, parseAlerting, requiredSecretKeys, SMTP_SECRET_KEY } from "../components/alerting/config";
import { grafanaSchema } from "../components/grafana/config";
import { GrafanaStack, GrafanaStackArgs } from "../components/grafana/grafana-stack";
import { withoutDebugStackTraces } from "../components/platform/stack-traces";
import { DockerPlatform } from "../components/platform/docker";
import { KubernetesPlatform } from "../components/platform/kubernetes";
import { Platform } from "../components/platform/types";
import { renderGrafanaContactPoints, renderGrafanaMuteTimings, renderGrafanaPolicy } from "../components/alerting/alertmanager-config";
import { planDashboards } from "../components/grafana/provisioning";
import { datasourceReferences } from "../dashboards/validate";

const T = {
  provider: "pulumi:providers:grafana",
  datasource: "grafana:oss/dataSource:DataSource",
  folder: "grafana:oss/folder:Folder",
  dashboard: "grafana:oss/dashboard:Dashboard",
  contactPoint: "grafana:alerting/contactPoint:ContactPoint",
  policy: "grafana:alerting/notificationPolicy:NotificationPolicy",
  muteTiming: "grafana:alerting/muteTiming:MuteTiming",
  container: "docker:index/container:Container",
};
const URLS = { prometheusUrl: "http://prometheus:9090", lokiUrl: "http://loki:3100", tracesUrl: "http://jaeger:16686", tracesBackend: "jaeger" as const, alertmanagerUrl: "http://alertmanager:9093" };
const ALERTING = parseAlerting({ ...exampleAlerting, muteTimeIntervals: [{ name: "weekends", timeIntervals: [{ weekdays: ["saturday", "sunday"] }] }], route: { ...exampleAlerting.route, routes: [...exampleAlerting.route!.routes!, { matchers: ['env="dev"'], muteTimeIntervals: ["weekends"] }] } });
/** Distinct, recognisable values, so a leak shows up as a plain occurrence. */
const SECRETS: AlertingSecrets = Object.fromEntries(requiredSecretKeys(ALERTING).map((k, i) => [k, `https://hooks.example.com/s3cret-${i}`]));
const TOKEN = "glsa_ExistingGrafanaToken_123";
const GIVEN = "Given-Admin-Passw0rd-abc";

const docker = () => new DockerPlatform("docker", { stackName: "t" });
const kubernetes = () => new KubernetesPlatform("k8s", { namespace: "obs" });

function build(platform: Platform, grafana: Record<string, unknown> = {}, extra: Partial<GrafanaStackArgs> = {}): GrafanaStack {
  return new GrafanaStack(
    "grafana",
    { platform, grafana: grafanaSchema.parse(grafana), datasources: URLS, alerting: { config: ALERTING, secrets: pulumi.secret(SECRETS) }, ...extra },
    { transformations: [recorder.transformation] },
  );
}
const ofGrafana = () => recorder.resources.filter((r) => r.type.startsWith("grafana:"));
/** What was pushed through the provider, by type, as comparable data (secrets unwrapped). */
const pushed = () =>
  Object.fromEntries(
    [T.datasource, T.folder, T.dashboard, T.contactPoint, T.policy, T.muteTiming].map((t) => [
      t,
      recorder
        .byType(t)
        .map((r) => JSON.stringify(unwrap(r.inputs)))
        .sort(),
    ]),
  );

beforeEach(() => recorder.reset());

const ADMIN_PASSWORD_FILE = "/run/secrets/grafana/admin-password";
const SMTP_PASSWORD_FILE = "/run/secrets/grafana/smtp-password";

/**
 * Grafana's secrets reach its Docker container as exactly these files (secret uploads owned by
 * grafana, mode 0400), and its environment, which `docker inspect` shows, names their paths only.
 */
function expectDockerSecretFiles(container: RegisteredResource, files: Record<string, string>): void {
  expect(isSecretInput(container.inputs.uploads)).toBe(true);
  expect(unwrap(container.inputs.uploads)).toStrictEqual(Object.entries(files).map(([file, content]) => ({ file, content, owner: "472", group: "472", permissions: "0400" })));
  // No secret in the env: the list is plain, and no value of it is a file's content.
  expect(isSecretInput(container.inputs.envs)).toBe(false);
  const envs: string[] = container.inputs.envs;
  for (const content of Object.values(files)) expect(envs.filter((e) => e.includes(content))).toStrictEqual([]);
  expect(envs.filter((e) => /^GF_(SECURITY_ADMIN|SMTP)_PASSWORD=/.test(e))).toStrictEqual([]);
  const pathEnv: Record<string, string> = { [ADMIN_PASSWORD_FILE]: "GF_SECURITY_ADMIN_PASSWORD__FILE", [SMTP_PASSWORD_FILE]: "GF_SMTP_PASSWORD__FILE" };
  expect(envs.filter((e) => e.includes("__FILE="))).toStrictEqual(Object.keys(files).map((f) => `${pathEnv[f]}=${f}`).sort());
}

describe("GrafanaStack deploying Grafana on Docker", () => {
  it("creates the provider after the Grafana container (which waits for health), and every resource uses it", async () => {
    const stack = build(docker());
    await settle();
    const provider = recorder.one(T.provider, "grafana");
    const container = recorder.one(T.container, "t-grafana");
    expect(unwrap(container.inputs.wait)).toBe(true);
    const dependsOn = provider.opts!.dependsOn as pulumi.Resource[];
    expect(dependsOn).toHaveLength(1);
    expect((dependsOn[0] as unknown as { __name: string }).__name).toBe("t-grafana");
    expect(ofGrafana().length).toBeGreaterThan(20);
    for (const r of ofGrafana()) expect([r.name, r.opts?.provider]).toStrictEqual([r.name, stack.provider]);
    expect(unwrap(provider.inputs.url)).toBe("http://127.0.0.1:3000");
  });

  it("keeps the generated admin password secret everywhere: a secret file in the container and the provider's auth only", async () => {
    const stack = build(docker());
    await settle();
    for (const r of recorder.resources) expect([r.type, r.name, plainOccurrences(r.inputs, GENERATED)]).toStrictEqual([r.type, r.name, []]);
    const container = recorder.one(T.container, "t-grafana");
    expectDockerSecretFiles(container, { [ADMIN_PASSWORD_FILE]: GENERATED, [SMTP_PASSWORD_FILE]: SECRETS[SMTP_SECRET_KEY] });
    const provider = recorder.one(T.provider, "grafana");
    expect(isSecretInput(provider.inputs.auth)).toBe(true);
    expect(unwrap(provider.inputs.auth)).toBe(`admin:${GENERATED}`);
    expect(recorder.byType("random:index/randomPassword:RandomPassword").map((r) => unwrap(r.inputs))).toStrictEqual([{ length: 32, special: false }]);
    const password = await new Promise<{ value: unknown; secret: boolean }>((resolve) =>
      pulumi.all([stack.adminPassword, pulumi.isSecret(stack.adminPassword)]).apply(([value, secret]) => resolve({ value, secret })),
    );
    expect(password).toStrictEqual({ value: GENERATED, secret: true });
  });

  it("uses a given admin password instead of generating one, as a secret", async () => {
    build(docker(), {}, { adminPassword: GIVEN });
    await settle();
    expect(recorder.byType("random:index/randomPassword:RandomPassword")).toStrictEqual([]);
    for (const r of recorder.resources) expect([r.name, plainOccurrences(r.inputs, GIVEN)]).toStrictEqual([r.name, []]);
    expectDockerSecretFiles(recorder.one(T.container, "t-grafana"), { [ADMIN_PASSWORD_FILE]: GIVEN, [SMTP_PASSWORD_FILE]: SECRETS[SMTP_SECRET_KEY] });
  });

  it("has no SMTP password file when the alert routing's SMTP needs no login", async () => {
    const { authUsername: _, ...smtp } = ALERTING.smtp!;
    build(docker(), {}, { alerting: { config: { ...ALERTING, smtp }, secrets: pulumi.secret(SECRETS) } });
    await settle();
    expectDockerSecretFiles(recorder.one(T.container, "t-grafana"), { [ADMIN_PASSWORD_FILE]: GENERATED });
  });

  it("turns sign-up and anonymous access off and keeps /var/lib/grafana on a retained volume", async () => {
    build(docker());
    await settle();
    const container = recorder.one(T.container, "t-grafana");
    const env = unwrap(container.inputs.envs) as string[];
    expect(env).toEqual(expect.arrayContaining(["GF_USERS_ALLOW_SIGN_UP=false", "GF_AUTH_ANONYMOUS_ENABLED=false", "GF_SERVER_ROOT_URL=http://127.0.0.1:3000"]));
    expect(unwrap(container.inputs.volumes)).toStrictEqual([{ volumeName: "t-grafana-data", containerPath: "/var/lib/grafana" }]);
    expect(recorder.one("docker:index/volume:Volume", "t-grafana-data").opts?.retainOnDelete).toBe(true);
    expect(unwrap(container.inputs.ports)).toStrictEqual([{ internal: 3000, external: 3000, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(container.inputs.user).toBe("472:472");
  });

  it("gives Prometheus a scrape job for Grafana's /metrics", async () => {
    const stack = build(docker());
    await settle();
    expect(stack.scrapeJobs).toStrictEqual([{ kind: "targets", name: "grafana", endpoint: { kind: "static", targets: ["grafana:3000"] } }]);
  });
});

describe("GrafanaStack deploying Grafana on Kubernetes", () => {
  it("waits for the StatefulSet and Service, keeps the password in the Secret only, and every object validates", async () => {
    build(kubernetes(), { url: "https://grafana.example.com" });
    await settle();
    const provider = recorder.one(T.provider, "grafana");
    const dependsOn = provider.opts!.dependsOn as pulumi.Resource[];
    expect(dependsOn.map((r) => [r instanceof k8s.apps.v1.StatefulSet || r instanceof k8s.core.v1.Service, (r as unknown as { __name: string }).__name])).toStrictEqual([
      [true, "k8s-grafana"],
      [true, "k8s-grafana"],
    ]);
    expect(dependsOn.some((r) => r instanceof k8s.apps.v1.StatefulSet)).toBe(true);
    expect(recorder.byType("kubernetes:apps/v1:StatefulSet").map((r) => r.name)).toStrictEqual(["k8s-grafana"]);
    expect(validateRecordedKubernetesObjects(recorder.resources)).toStrictEqual([]);
    for (const r of recorder.resources) expect([r.name, plainOccurrences(r.inputs, GENERATED)]).toStrictEqual([r.name, []]);
    const pod = unwrap(recorder.one("kubernetes:apps/v1:StatefulSet", "k8s-grafana").inputs.spec.template.spec);
    // The passwords are files of the one Secret, group-readable by grafana (fsGroup 472); the pod env names the paths only.
    const secrets = recorder.byType("kubernetes:core/v1:Secret");
    expect(secrets.map((r) => r.name)).toStrictEqual(["k8s-grafana-files"]);
    expect(isSecretInput(secrets[0].inputs.stringData)).toBe(true);
    expect(unwrap(secrets[0].inputs.stringData)).toStrictEqual({ "run_secrets_grafana_admin-password": GENERATED, "run_secrets_grafana_smtp-password": SECRETS[SMTP_SECRET_KEY] });
    expect(pod.volumes).toContainEqual({ name: "secret-files", secret: { secretName: mockAutoName("k8s-grafana-files"), defaultMode: 0o440 } });
    expect(pod.securityContext).toMatchObject({ runAsUser: 472, runAsGroup: 472, fsGroup: 472 });
    const grafanaContainer = pod.containers[0];
    for (const file of [ADMIN_PASSWORD_FILE, SMTP_PASSWORD_FILE]) {
      expect(grafanaContainer.volumeMounts).toContainEqual({ name: "secret-files", mountPath: file, subPath: file.slice(1).replace(/\//g, "_"), readOnly: true });
    }
    expect(grafanaContainer.env.filter((e: { valueFrom?: unknown }) => e.valueFrom !== undefined)).toStrictEqual([]);
    for (const secret of [GENERATED, SECRETS[SMTP_SECRET_KEY]]) expect(JSON.stringify(grafanaContainer.env)).not.toContain(secret);
    expect(grafanaContainer.env).toEqual(
      expect.arrayContaining([
        { name: "GF_SECURITY_ADMIN_PASSWORD__FILE", value: ADMIN_PASSWORD_FILE },
        { name: "GF_SMTP_PASSWORD__FILE", value: SMTP_PASSWORD_FILE },
      ]),
    );
    expect(grafanaContainer.env.map((e: { name: string }) => e.name)).not.toEqual(expect.arrayContaining(["GF_SECURITY_ADMIN_PASSWORD"]));
    const env = Object.fromEntries(pod.containers[0].env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ GF_USERS_ALLOW_SIGN_UP: "false", GF_AUTH_ANONYMOUS_ENABLED: "false", GF_SECURITY_COOKIE_SECURE: "true", GF_SERVER_ROOT_URL: "https://grafana.example.com" });
    expect(unwrap(provider.inputs.url)).toBe("https://grafana.example.com");
  });

  it("refuses to deploy without a url, before registering anything", () => {
    const platform = kubernetes();
    recorder.reset();
    expect(() => build(platform)).toThrow(new Error("grafana: grafana.url is required on Kubernetes: the Grafana provider must reach Grafana from where pulumi up runs"));
    expect(recorder.resources).toStrictEqual([]);
  });
});

describe("GrafanaStack configuring an existing Grafana", () => {
  const EXISTING = { mode: "existing", url: "https://grafana.example.com" };

  it("runs no Grafana and pushes exactly what a deployed Grafana gets", async () => {
    build(docker());
    await settle();
    const deployed = pushed();
    recorder.reset();
    const stack = build(docker(), EXISTING, { token: TOKEN });
    await settle();
    expect(recorder.byType(T.container)).toStrictEqual([]);
    expect(recorder.resources.filter((r) => r.type.startsWith("docker:") && r.type !== "docker:index/network:Network")).toStrictEqual([]);
    expect(pushed()).toStrictEqual(deployed);
    expect(stack.scrapeJobs).toStrictEqual([]);
    const provider = recorder.one(T.provider, "grafana");
    expect(provider.opts?.dependsOn ?? []).toStrictEqual([]);
    expect(isSecretInput(provider.inputs.auth)).toBe(true);
    expect(unwrap(provider.inputs)).toMatchObject({ url: "https://grafana.example.com", auth: TOKEN });
    for (const r of recorder.resources) expect([r.name, plainOccurrences(r.inputs, TOKEN)]).toStrictEqual([r.name, []]);
    for (const r of ofGrafana()) expect(r.opts?.provider).toBe(stack.provider);
  });

  it.each<[string, Record<string, unknown>, Partial<GrafanaStackArgs>, string]>([
    ["without a token", EXISTING, {}, "grafana: token is required when grafana.mode is existing (a service account token with the Admin role)"],
    ["without a url", { mode: "existing" }, { token: TOKEN }, "grafana: grafana.url is required when grafana.mode is existing"],
  ])("refuses to start %s", (_what, grafana, extra, message) => {
    const platform = docker();
    recorder.reset();
    expect(() => build(platform, grafana, extra)).toThrow(new Error(message));
    expect(recorder.resources).toStrictEqual([]);
  });
});

describe("what GrafanaStack pushes", () => {
  it("creates datasources with stable uids, and every dashboard reference resolves to one of them", async () => {
    build(docker());
    await settle();
    // Sorted: registrations reach the mocks in no guaranteed order.
    const datasources = recorder.byType(T.datasource).map((r) => unwrap(r.inputs)).sort((a, b) => a.uid.localeCompare(b.uid));
    expect(datasources.map((d) => [d.uid, d.type, d.url])).toStrictEqual([
      ["alertmanager", "alertmanager", "http://alertmanager:9093"],
      ["loki", "loki", "http://loki:3100"],
      ["prometheus", "prometheus", "http://prometheus:9090"],
      ["traces", "jaeger", "http://jaeger:16686"],
    ]);
    const uids = datasources.map((d) => d.uid);
    const dashboards = recorder.byType(T.dashboard).map((r) => unwrap(r.inputs));
    // Every built-in dashboard but the example, which is pushed only when asked for.
    expect(dashboards.length).toBe(13);
    for (const d of dashboards) {
      expect(d.overwrite).toBe(true);
      for (const ref of datasourceReferences(JSON.parse(d.configJson))) expect(uids).toContain(ref.uid);
    }
    const links = datasources.flatMap((d) => (d.jsonDataEncoded as string).match(/"datasourceUid":"[^"]+"/g) ?? []);
    // Jaeger: exemplars, log trace ids, traces to logs, traces to metrics (the service map is Tempo's).
    expect(links.length).toBe(4);
    for (const link of links) expect(uids).toContain(link.slice(17, -1));
  });

  it("puts each dashboard in its area's folder, by the folder's stable uid", async () => {
    build(docker());
    await settle();
    const folders = recorder.byType(T.folder).map((r) => unwrap(r.inputs)).sort((a, b) => a.uid.localeCompare(b.uid));
    expect(folders).toStrictEqual([
      { uid: "obs-applications", title: "Applications" },
      { uid: "obs-databases", title: "Databases" },
      { uid: "obs-infrastructure", title: "Infrastructure" },
      { uid: "obs-observability", title: "Observability stack" },
    ]);
    const folderOf = Object.fromEntries(recorder.byType(T.dashboard).map((r) => [JSON.parse(unwrap(r.inputs).configJson).uid, unwrap(r.inputs).folder]));
    expect(folderOf["obs-host"]).toBe("obs-infrastructure");
    expect(folderOf["obs-traces"]).toBe("obs-observability");
  });

  it("skips the traces dashboard when tracing is off, and creates no traces datasource", async () => {
    const stack = build(docker(), {}, { datasources: { prometheusUrl: URLS.prometheusUrl, lokiUrl: URLS.lokiUrl } });
    await settle();
    expect(recorder.byType(T.datasource).map((r) => unwrap(r.inputs).uid).sort()).toStrictEqual(["loki", "prometheus"]);
    expect(stack.dashboardPlan.skipped).toStrictEqual([
      { uid: "obs-example-business", reason: "an example: pushed only when asked for" },
      { uid: "obs-traces", reason: "reads datasource traces, which this stack does not create" },
    ]);
    const uids = recorder.byType(T.dashboard).map((r) => JSON.parse(unwrap(r.inputs).configJson).uid);
    expect(uids).not.toContain("obs-traces");
    expect(uids).toContain("obs-logs");
  });

  it("routes Grafana-managed alerts like Alertmanager: the same contact points, policy and mute timings", async () => {
    build(docker());
    await settle();
    // Registration order is async under mocks: compare by name.
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const points = recorder.byType(T.contactPoint).map((r) => unwrap(r.inputs)).sort(byName);
    expect(points).toStrictEqual(renderGrafanaContactPoints(ALERTING, (key) => SECRETS[key]).sort(byName));
    expect(recorder.byType(T.muteTiming).map((r) => unwrap(r.inputs)).sort(byName)).toStrictEqual(renderGrafanaMuteTimings(ALERTING).sort(byName));
    expect(recorder.byType(T.policy).map((r) => unwrap(r.inputs))).toStrictEqual([renderGrafanaPolicy(ALERTING)]);
    const policy = recorder.one(T.policy, "grafana-notification-policy");
    expect((policy.opts!.dependsOn as pulumi.Resource[]).length).toBe(points.length + 1);
    for (const value of Object.values(SECRETS)) {
      for (const r of recorder.resources) expect([r.name, plainOccurrences(r.inputs, value)]).toStrictEqual([r.name, []]);
    }
  });

  it("leaves Grafana's routing alone without an alerting config", async () => {
    build(docker(), {}, { alerting: undefined });
    await settle();
    expect([T.contactPoint, T.policy, T.muteTiming].flatMap((t) => recorder.byType(t))).toStrictEqual([]);
  });
});

describe("GrafanaStack with the user's dashboards", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "obs-grafana-stack-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const folder = (name: string, files: Record<string, string>) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content);
    return dir;
  };

  it("pushes them into the Custom folder", async () => {
    build(docker(), { dashboardsDir: "test/fixtures/dashboards/user" });
    await settle();
    const custom = recorder.byType(T.dashboard).map((r) => unwrap(r.inputs)).filter((d) => d.folder === "obs-custom");
    expect(custom.map((d) => JSON.parse(d.configJson).uid).sort()).toStrictEqual(["team-api", "team-checkout"]);
    expect(recorder.byType(T.folder).map((r) => unwrap(r.inputs).uid)).toContain("obs-custom");
  });

  it.each<[string, Record<string, string>, (dir: string) => string]>([
    ["a file that is not valid JSON", { "broken.json": '{\n  "uid": "mine",\n}\n' }, (dir) => `${dir}/broken.json: not valid JSON: unexpected "}" at line 3, column 1`],
    ["a uid a built-in dashboard has", { "host.json": JSON.stringify({ uid: "obs-host", title: "My host" }) }, (dir) => `${dir}/host.json: dashboard uid "obs-host" is already used by the built-in dashboard "Host (node-exporter)"; give each dashboard a uid of its own`],
    [
      "a datasource uid the stack does not create",
      { "old.json": JSON.stringify({ uid: "mine", title: "Mine", panels: [{ title: "P", datasource: { uid: "prom-old", type: "prometheus" }, targets: [{ refId: "A", expr: "up" }] }] }) },
      (dir) => `${dir}/old.json: panel "P" uses datasource uid "prom-old", which the stack does not have (valid uids: alertmanager, loki, prometheus, traces)`,
    ],
  ])("rejects %s before registering anything, naming the file", (name, files, problem) => {
    const dir = folder(name.replace(/\W+/g, "-"), files);
    const platform = docker();
    recorder.reset();
    expect(() => build(platform, { dashboardsDir: dir })).toThrow(new Error(`grafana: dashboards are not valid, nothing was pushed:\n  - ${problem(dir)}`));
    expect(recorder.resources).toStrictEqual([]);
  });

  it("pushes a plan it is given (validated by the caller) without planning again", async () => {
    const plan = planDashboards({ datasourceUids: ["prometheus", "loki", "traces", "alertmanager"], tracesBackend: "jaeger", dashboardsDir: "test/fixtures/dashboards/user" });
    // The folder is not read again: a folder that does not exist does not matter.
    const stack = build(docker(), { dashboardsDir: path.join(tmp, "gone") }, { dashboardPlan: plan });
    await settle();
    expect(stack.dashboardPlan).toBe(plan);
    expect(recorder.byType(T.dashboard).map((r) => JSON.parse(unwrap(r.inputs).configJson).uid).sort()).toStrictEqual(plan.dashboards.map((d) => d.uid).sort());
  });

  it("rejects a user dashboard reading the traces datasource when tracing is off", () => {
    const json = { uid: "mine", title: "Mine", panels: [{ title: "T", datasource: { uid: "traces" }, targets: [{ refId: "A" }] }] };
    const dir = folder("traces-off", { "mine.json": JSON.stringify(json) });
    expect(() => build(docker(), { dashboardsDir: dir }, { datasources: { prometheusUrl: URLS.prometheusUrl } })).toThrow(
      new Error(`grafana: dashboards are not valid, nothing was pushed:\n  - ${dir}/mine.json: panel "T" uses datasource uid "traces", which the stack does not have (valid uids: prometheus)`),
    );
  });
});

describe("withoutDebugStackTraces (dashboards are constructed inside it)", () => {
  it("captures no frames inside, and restores the limit after, also when the construction throws", () => {
    const before = Error.stackTraceLimit;
    const inside = withoutDebugStackTraces(() => new Error("x").stack);
    expect(inside).toBe("Error: x");
    expect(Error.stackTraceLimit).toBe(before);
    expect(() =>
      withoutDebugStackTraces(() => {
        throw new Error("bad dashboard");
      }),
    ).toThrow("bad dashboard");
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error("y").stack!.split("\n").length).toBeGreaterThan(1);
  });
});
