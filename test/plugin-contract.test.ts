import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import type * as pulumiType from "@pulumi/pulumi";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { configArgs } from "../scripts/config-args";
import { configFields, FieldDoc } from "../scripts/config-reference";
import { installMocks, MockRecorder, plainOccurrences, resolveOutput, settle, unwrap } from "./helpers/mocks";
import { startRunPlugin, servedSchema } from "./helpers/run-plugin";
import { stackFileRaw, stackFileSecrets } from "./helpers/stack-files";

/**
 * Can Python, Go, C#, Java and YAML programs use the stack through
 * `pulumi package add <checkout>/plugin`? The authority is the SDK's own machinery, the code the
 * Pulumi CLI runs: @pulumi/pulumi `cmd/run-plugin` (loads the plugin, names the provider),
 * `provider/experimental/provider` (`getPulumiComponents`, `ComponentProvider`: schema and
 * construct) and `provider/experimental/analyzer` (args interfaces → schema), and
 * `provider/server` (`deserializeInputs`: what construct receives off the wire).
 *
 * What is not exercised here (no Pulumi CLI on this machine): the engine itself, and the SDKs it
 * would generate from the schema in other languages.
 */

const ROOT = path.join(__dirname, "..");
const PLUGIN_DIR = path.join(ROOT, "plugin");
const TOKEN = "observability:index:ObservabilityStack";
const SDK_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

// The wire: protobuf Structs, and the SDK's own (de)serialisation of resource properties.
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [SDK_DIR] }));
const { deserializeInputs } = require("@pulumi/pulumi/provider/server");
const rpc = require("@pulumi/pulumi/runtime/rpc");
// Internal to the SDK (no typings): how run-plugin and ComponentProvider read package.json.
const { readPackageManifest } = require("@pulumi/pulumi/runtime/manifest") as { readPackageManifest(dir: string): { data: Record<string, unknown> } };

/**
 * A secret as the engine sends it to a provider that accepts output values (the Node host says it
 * does, in Configure): the engine upgrades a program's secrets to output values.
 */
const secretValue = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialOutputValueSig, value, secret: true });
/** How a secret comes back in construct's state: Pulumi's secret wrapper. */
const secretState = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });

/** The provider's name and namespace from a package.json, as `cmd/run-plugin/run.js` derives them. */
function providerIdentity(dir: string): { name: string; namespace?: string } {
  const { data } = readPackageManifest(dir);
  const matches = String(data.name).match(/(@.*?\/)?(.+)/)!;
  return { name: matches[2].replace(/[^-a-zA-Z0-9_]/g, "-"), namespace: matches[1] ? matches[1].slice(1, -1) : undefined };
}

let recorder: MockRecorder;
let pulumi: typeof pulumiType;
let entry: Record<string, unknown>;
let provider: ComponentProvider;
let schema: any;

beforeAll(async () => {
  recorder = installMocks({ project: "plugin", stack: "dev" });
  pulumi = require("@pulumi/pulumi");
  // What run-plugin does: require the plugin directory, serve the components it exports.
  entry = require(PLUGIN_DIR);
  provider = new ComponentProvider({ ...providerIdentity(PLUGIN_DIR), dirname: PLUGIN_DIR, components: getPulumiComponents(entry) });
  // The analyser builds a TypeScript program of the plugin and the components: seconds.
  schema = JSON.parse(await provider.getSchema());
}, 120000);

describe("the plugin package (plugin/)", () => {
  it("declares runtime nodejs in plugin/PulumiPlugin.yaml; the repository root has no manifest", () => {
    const manifest = yaml.load(fs.readFileSync(path.join(PLUGIN_DIR, "PulumiPlugin.yaml"), "utf8")) as { runtime?: string };
    expect(manifest.runtime).toBe("nodejs");
    // `pulumi package add <checkout>` would run the root's index.ts, the Pulumi program.
    expect(fs.existsSync(path.join(ROOT, "PulumiPlugin.yaml"))).toBe(false);
  });

  it("exports ObservabilityStack and no other component: the parts take a Platform object, TypeScript only", () => {
    expect(getPulumiComponents(entry).map((c) => c.name)).toEqual(["ObservabilityStack"]);
    // Each of these would make the host fail; the library entry has them, the plugin must not.
    const library = getPulumiComponents(require("../components")).map((c) => c.name);
    expect(library).toEqual(expect.arrayContaining(["PrometheusStack", "AlertRouting", "LokiStack", "TracingStack", "GrafanaStack", "DockerPlatform", "KubernetesPlatform"]));
  });

  it("is named observability, so the provider the host names after it owns the observability:index:* tokens", () => {
    expect(providerIdentity(PLUGIN_DIR)).toEqual({ name: "observability", namespace: undefined });
    expect(TOKEN.split(":")[0]).toBe("observability");
    // The npm package keeps its name; the two versions move together.
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const plugin = JSON.parse(fs.readFileSync(path.join(PLUGIN_DIR, "package.json"), "utf8"));
    expect({ root: root.name, plugin: plugin.name, version: plugin.version }).toEqual({ root: "pulumi-observability", plugin: "observability", version: root.version });
  });
});

describe("the schema the host generates", () => {
  const typeRef = (name: string) => `#/types/observability:index:${name}`;
  const typeOf = (ref: string) => schema.types[ref.replace("#/types/", "")];

  it("has one resource, ObservabilityStack, with a typed config, secrets and outputs", () => {
    expect(Object.keys(schema.resources)).toEqual([TOKEN]);
    const stack = schema.resources[TOKEN];
    expect(stack).toMatchObject({
      isComponent: true,
      inputProperties: {
        config: { $ref: typeRef("ObservabilityStackConfig"), plain: true },
        secrets: { $ref: typeRef("StackSecrets"), optional: true, plain: true },
      },
      requiredInputs: ["config"],
      properties: {
        urls: { type: "object", additionalProperties: { type: "string" } },
        endpoints: { type: "object", additionalProperties: { type: "string" } },
        grafanaAdminPassword: { type: "string", optional: true },
      },
      required: ["endpoints", "urls"],
    });
    expect(Object.keys(stack.inputProperties)).toEqual(["config", "secrets"]);
    expect(Object.keys(stack.properties)).toEqual(["urls", "endpoints", "grafanaAdminPassword"]);
    expect({ name: schema.name, version: schema.version, dependencies: schema.dependencies }).toEqual({ name: "observability", version: "0.1.0", dependencies: [] });
  });

  it("has a type at every key of the config reference, of the same kind", () => {
    // Follows each documented path (`alerting.receivers[].slack[].channel`) through the schema.
    const kindAt = (f: FieldDoc): string => {
      let prop: any = { $ref: typeRef("ObservabilityStackConfig") };
      for (const step of f.path.split(".")) {
        const [key, ...brackets] = step.split("[");
        if (key === "<key>") {
          prop = prop.additionalProperties;
        } else {
          const type = typeOf(prop.$ref);
          if (!type?.properties?.[key]) throw new Error(`${f.path}: no property ${key} in ${prop.$ref}`);
          prop = type.properties[key];
        }
        for (let i = 0; i < brackets.length; i++) prop = prop.items;
      }
      if (prop.$ref) return typeOf(prop.$ref).enum ? "enum" : "object";
      if (prop.type === "array") return "array";
      if (prop.type === "object") return "map";
      return prop.type ?? "any";
    };
    const expected = (f: FieldDoc): string => {
      if (f.isObject) return "object";
      if (f.type.startsWith("list of")) return "array";
      if (f.type.startsWith("map of")) return "map";
      if (f.type.startsWith('"')) return "enum";
      if (f.type.startsWith("integer")) return "number";
      return f.type.split(" ")[0];
    };
    const fields = configFields();
    expect(fields.map((f) => `${f.path}: ${kindAt(f)}`)).toEqual(fields.map((f) => `${f.path}: ${expected(f)}`));
  });

  it("describes every property of every type, from the config's JSDoc, with the default", () => {
    const undescribed = Object.entries(schema.types as Record<string, any>).flatMap(([name, type]) =>
      Object.entries(type.properties ?? {}).filter(([, p]: [string, any]) => !p.description).map(([key]) => `${name}.${key}`),
    );
    expect(undescribed).toEqual([]);
    const prometheus = typeOf(typeRef("PrometheusConfig")).properties;
    expect(prometheus.retention).toEqual({ type: "string", optional: true, plain: true, description: "How long samples are kept (`--storage.tsdb.retention.time`). Default `15d`." });
    expect(typeOf(typeRef("ObservabilityStackConfig")).properties.services.description).toBe("Services to monitor: scrape job, SLO alerts routed to the team, RED dashboard (as `monitorService`).\nDefault: `[]`.");
  });

  it("has exactly the generated interfaces and enums as types, and the secrets", () => {
    const generated = configArgs().map((d) => d.name);
    expect(Object.keys(schema.types).map((t) => t.replace("observability:index:", "")).sort()).toEqual([...generated, "StackSecrets"].sort());
  });

  it("turns the config's string choices into named enums", () => {
    expect(schema.types["observability:index:Platform"]).toEqual({
      type: "string",
      enum: [
        { name: "Docker", value: "docker" },
        { name: "Kubernetes", value: "kubernetes" },
      ],
    });
    expect(typeOf(typeRef("ObservabilityStackConfig")).properties.platform).toMatchObject({ $ref: typeRef("Platform"), plain: true });
    expect(typeOf(typeRef("TracingConfig")).properties.backend).toMatchObject({ $ref: typeRef("TracingBackend"), optional: true });
  });

  it("nests alert routes in themselves", () => {
    expect(typeOf(typeRef("RouteConfig")).properties.routes).toMatchObject({ type: "array", items: { $ref: typeRef("RouteConfig") } });
  });

  it("takes every secret as a string Input, never plain, so that a secret Output stays one", () => {
    const secrets = typeOf(typeRef("StackSecrets")).properties;
    for (const [key, prop] of Object.entries(secrets as Record<string, any>)) {
      if (key === "alertingSecrets") {
        // The keys are plain (a missing credential is named at preview); each value is an Input.
        expect(prop).toMatchObject({ type: "object", additionalProperties: { type: "string" }, plain: true });
        expect(prop.additionalProperties.plain).toBeUndefined();
      } else {
        expect([key, prop.type, prop.plain]).toEqual([key, "string", undefined]);
      }
    }
  });
});

describe("construct, as the engine calls it for a YAML or Python program", () => {
  /** Deserialises wire inputs the way the provider server does, constructs, and serialises the state back. */
  async function construct(name: string, wire: Record<string, unknown>): Promise<{ urn: string; state: Record<string, unknown> }> {
    const inputs = await deserializeInputs(Struct.fromJavaScript(wire), new Map());
    const result = await provider.construct(name, TOKEN, inputs, {});
    const [state] = await rpc.serializeResourceProperties(`construct(${TOKEN}, ${name})`, result.state);
    await settle();
    return { urn: await resolveOutput(pulumi.output(result.urn)), state };
  }

  /** A stack file's secrets as a program passes them: each value a secret, the keys plain. */
  function wireSecrets(stack: "dev" | "prod", extra: Record<string, string> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({ ...stackFileSecrets(stack), ...extra })) {
      out[key] = typeof value === "string" ? secretValue(value) : Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, v]) => [k, secretValue(v)]));
    }
    return out;
  }

  /** The same secrets for the TypeScript component: Pulumi secrets. */
  function tsSecrets(stack: "dev" | "prod", extra: Record<string, string> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries({ ...stackFileSecrets(stack), ...extra })) {
      out[key] = typeof value === "string" ? pulumi.secret(value) : Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, v]) => [k, pulumi.secret(v)]));
    }
    return out;
  }

  const registered = () => recorder.resources.map((r) => `${r.type} ${r.name}`).sort();

  beforeEach(() => recorder.reset());

  it.each(["dev", "prod"] as const)("registers for Pulumi.%s.yaml's config what the TypeScript component registers, inside one ObservabilityStack", async (stack) => {
    const { ObservabilityStack } = require("../components/stack/observability-stack");
    new ObservabilityStack("obs", { config: stackFileRaw(stack), secrets: tsSecrets(stack) });
    await settle();
    const typescript = registered();
    expect(typescript.length).toBeGreaterThan(20);

    recorder.reset();
    const { urn } = await construct("obs", { config: stackFileRaw(stack), secrets: wireSecrets(stack) });
    // The plugin's component holds the library's, of the same type and name.
    expect(urn).toBe(`urn:pulumi:dev::plugin::${TOKEN}::obs`);
    expect(registered()).toEqual([...typescript, `${TOKEN} obs`].sort());
  });

  it("keeps a secret secret: Grafana gets the admin password only wrapped, and it comes back as a secret output", async () => {
    const password = "Adm1n-S3cret-Passw0rd";
    const { state } = await construct("obs", { config: stackFileRaw("dev"), secrets: wireSecrets("dev", { grafanaAdminPassword: password }) });
    const carriers = recorder.resources.filter((r) => JSON.stringify(unwrap(r.inputs)).includes(password));
    expect(carriers.length).toBeGreaterThan(0);
    expect(recorder.resources.flatMap((r) => plainOccurrences(r.inputs, password).map((p) => `${r.type} ${r.name} ${p}`))).toEqual([]);
    const webhook = (stackFileSecrets("dev").alertingSecrets as Record<string, string>)["default.webhook[0]"];
    expect(recorder.resources.flatMap((r) => plainOccurrences(r.inputs, webhook).map((p) => `${r.type} ${r.name} ${p}`))).toEqual([]);
    expect(state.grafanaAdminPassword).toEqual(secretState(password));
  });

  it("returns the stack's URLs and telemetry endpoints", async () => {
    const { state } = await construct("obs", { config: stackFileRaw("dev"), secrets: wireSecrets("dev") });
    expect(state.urls).toEqual({
      alertmanager: "http://127.0.0.1:9093",
      grafana: "http://127.0.0.1:3000",
      jaeger: "http://127.0.0.1:16686",
      loki: "http://127.0.0.1:3100",
      prometheus: "http://127.0.0.1:9090",
    });
    expect(Object.keys(state.endpoints as object).sort()).toEqual(["lokiPush", "otlpGrpc", "otlpHttp"]);
  });

  it("rejects an invalid config before registering anything, naming the field", async () => {
    await expect(construct("bad", { config: { platform: "docker", prometheus: { retention: "forever" } } })).rejects.toThrow(
      'observability:prometheus.retention: "forever" is not a duration',
    );
    expect(recorder.resources).toEqual([]);
  });

  it("rejects a secret inside config, saying where it is and that credentials go in secrets", async () => {
    await expect(construct("bad", { config: { platform: "docker", grafana: { url: secretValue("https://grafana.example.com") } } })).rejects.toThrow(
      /config takes plain values.*pass credentials in `secrets`.*observability:grafana\.url$/,
    );
    expect(recorder.resources).toEqual([]);
  });

  it("rejects secrets, or alerting secrets, sent as one secret object: which credentials exist must be known at preview", async () => {
    await expect(construct("bad", { config: { platform: "docker" }, secrets: secretValue({ grafanaAdminPassword: "x" }) })).rejects.toThrow(
      /^secrets must be an object of named values/,
    );
    await expect(construct("bad", { config: { platform: "docker" }, secrets: { alertingSecrets: secretValue({ "default.webhook[0]": "x" }) } })).rejects.toThrow(
      /^secrets\.alertingSecrets must be a map whose keys are plain/,
    );
    expect(recorder.resources).toEqual([]);
  });

  it("constructs the README's YAML program", async () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes(TOKEN));
    const program = yaml.load(block!) as { resources: Record<string, { type: string; properties: Record<string, unknown> }> };
    expect(program.resources.obs.type).toBe(TOKEN);
    // `${alertWebhook}` is a secret config value: the engine sends it as a secret output value.
    const wire = JSON.parse(JSON.stringify(program.resources.obs.properties), (_, v) => (v === "${alertWebhook}" ? secretValue("https://hooks.example.com/alerts") : v));
    const { state } = await construct("obs", wire);
    expect(Object.keys(state.urls as object).sort()).toEqual(["alertmanager", "grafana", "loki", "prometheus", "tempo"]);
    expect(recorder.resources.flatMap((r) => plainOccurrences(r.inputs, "hooks.example.com/alerts"))).toEqual([]);
  });
});

describe("the real host: cmd/run-plugin, started as the Node language host starts it", () => {
  let child: ChildProcess | undefined;
  let projectDir: string;
  afterAll(() => {
    child?.kill();
    if (projectDir) fs.rmSync(projectDir, { recursive: true, force: true });
  });

  it("loads the plugin with ts-node, and serves over gRPC the schema generated above", async () => {
    // The language host runs `node @pulumi/pulumi/cmd/run-plugin <plugin dir>` in the PROGRAM's
    // directory (a YAML project: no tsconfig.json there), after `npm install` in the plugin's.
    projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-plugin-program-"));
    const running = await startRunPlugin(require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [PLUGIN_DIR] }), PLUGIN_DIR, projectDir, process.env);
    child = running.child;
    expect(await servedSchema(running.port)).toEqual(schema);
  }, 180000);
});
