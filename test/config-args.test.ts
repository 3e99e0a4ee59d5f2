import * as fs from "fs";
import { z } from "zod";
import { stackConfigSchema } from "../components/stack/config-schema";
import { ARGS_FILE, ArgsDecl, configArgs, renderConfigArgs, ROOT_INTERFACE } from "../scripts/config-args";

/**
 * components/stack/args.generated.ts, the stack config as named interfaces for the plugin's
 * component host, is generated from stackConfigSchema (scripts/config-args.ts): it must match a
 * fresh render. That the interfaces and the schema's input type accept the same configs is a
 * compile-time check at the end of the file; that the host maps them is test/plugin-contract.test.ts.
 */

let decls: ArgsDecl[];
beforeAll(() => {
  decls = configArgs();
});

const decl = (name: string) => {
  const d = decls.find((x) => x.name === name);
  if (!d) throw new Error(`no declaration ${name} (declarations: ${decls.map((x) => x.name).join(", ")})`);
  return d;
};
const fieldOf = (name: string, key: string) => {
  const d = decl(name);
  if (d.kind !== "interface") throw new Error(`${name} is an enum`);
  return d.fields.find((f) => f.key === key);
};

describe("components/stack/args.generated.ts", () => {
  it("is what npm run gen:config-args renders from the schema today", () => {
    const committed = fs.existsSync(ARGS_FILE) ? fs.readFileSync(ARGS_FILE, "utf8") : "(missing)";
    if (committed !== renderConfigArgs(decls)) {
      throw new Error("components/stack/args.generated.ts is out of date with stackConfigSchema: run npm run gen:config-args and commit the result");
    }
  });
});

describe("the generator", () => {
  it("makes the whole config one interface whose top-level keys are the schema's, platform the only required one", () => {
    const root = decl(ROOT_INTERFACE);
    expect(root.kind === "interface" && root.fields.map((f) => f.key)).toEqual(Object.keys(stackConfigSchema.shape));
    expect(root.kind === "interface" && root.fields.filter((f) => !f.optional).map((f) => f.key)).toEqual(["platform"]);
  });

  it("names an object after the schema constant it is built from, else after its place", () => {
    // `resources` is one schema used by every workload: one interface.
    expect(fieldOf("PrometheusConfig", "resources")?.type).toBe("ResourcesConfig");
    expect(fieldOf("AlertmanagerConfig", "resources")?.type).toBe("ResourcesConfig");
    // slackSchema, inline `logs.storage`, list elements in the singular.
    expect(fieldOf("ReceiverConfig", "slack")?.type).toBe("SlackConfig[]");
    expect(fieldOf("LogsConfig", "storage")?.type).toBe("LogsStorageConfig");
    expect(fieldOf(ROOT_INTERFACE, "scrapeTargets")?.type).toBe("ScrapeTargetConfig[]");
    const names = decls.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => /\d$/.test(n))).toEqual([]);
  });

  it("maps string maps, lists and free-form values", () => {
    expect(fieldOf("PrometheusConfig", "externalLabels")).toMatchObject({ type: "Record<string, string>", optional: true });
    expect(fieldOf("ExportersBlackboxConfig", "http")).toMatchObject({ type: "string[]", optional: true });
    expect(fieldOf("RulesConfig", "thresholds")).toMatchObject({ type: "Record<string, any>", optional: true });
  });

  it("turns z.enum into a named `as const` enum the host recognises", () => {
    expect(decl("Platform")).toEqual({ kind: "enum", name: "Platform", path: "platform", values: ["docker", "kubernetes"] });
    expect(renderConfigArgs(decls)).toContain('export const Platform = {\n  Docker: "docker",\n  Kubernetes: "kubernetes",\n} as const;\nexport type Platform = (typeof Platform)[keyof typeof Platform];');
  });

  it("refers a recursive schema to itself", () => {
    expect(fieldOf("RootRouteConfig", "routes")?.type).toBe("RouteConfig[]");
    expect(fieldOf("RouteConfig", "routes")?.type).toBe("RouteConfig[]");
  });

  it("documents each field with its description, and its default unless the description gives it", () => {
    expect(fieldOf("PrometheusConfig", "retention")?.doc).toBe("How long samples are kept (`--storage.tsdb.retention.time`). Default `15d`.");
    expect(fieldOf("RulesConfig", "custom")?.doc).toBe("The user's own alert and recording rules, loaded beside the stack's.\nDefault: `[]`.");
    // An object without a comment of its own is documented by its fields.
    expect(fieldOf(ROOT_INTERFACE, "docker")?.doc).toBe("The `docker` settings.\nDefault: `{}`.");
  });

  it("picks up a new field, with its description", () => {
    const extended = stackConfigSchema.extend({ newSetting: z.string().default("x").describe("What the new setting does.") });
    const fields = (configArgs(extended).find((d) => d.name === ROOT_INTERFACE) as Extract<ArgsDecl, { kind: "interface" }>).fields;
    expect(fields.find((f) => f.key === "newSetting")).toEqual({ key: "newSetting", type: "string", optional: true, doc: 'What the new setting does.\nDefault: `"x"`.' });
  });

  it("refuses a field without a description, and a type the host cannot map, naming the field", () => {
    expect(() => configArgs(stackConfigSchema.extend({ newSetting: z.string() }))).toThrow("newSetting has no description");
    expect(() => configArgs(stackConfigSchema.extend({ either: z.union([z.string(), z.number()]).describe("One or the other.") }))).toThrow(
      "either: a zod ZodUnion has no form the component host can map",
    );
  });
});
