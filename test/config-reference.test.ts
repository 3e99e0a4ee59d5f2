import * as fs from "fs";
import { z } from "zod";
import { stackConfigSchema } from "../components/stack/config-schema";
import { configFields, FieldDoc, REFERENCE_FILE, renderConfigReference, undocumented } from "../scripts/config-reference";

/**
 * docs/config-reference.md is generated from stackConfigSchema (scripts/config-reference.ts): it
 * must match a fresh render, and every field must say what it does.
 */

/** Every schema field has a description: a new undocumented field fails the test. */
const KNOWN_UNDOCUMENTED: string[] = [];

let fields: FieldDoc[];
beforeAll(() => {
  fields = configFields();
});

const field = (p: string) => {
  const f = fields.find((x) => x.path === p);
  if (!f) throw new Error(`no field ${p} in the reference (fields: ${fields.map((x) => x.path).slice(0, 20).join(", ")}, ...)`);
  return f;
};

describe("docs/config-reference.md", () => {
  it("is what npm run docs:config renders from the schema today", () => {
    const committed = fs.existsSync(REFERENCE_FILE) ? fs.readFileSync(REFERENCE_FILE, "utf8") : "(missing)";
    const fresh = renderConfigReference(fields);
    if (committed !== fresh) {
      throw new Error("docs/config-reference.md is out of date with stackConfigSchema: run npm run docs:config and commit the result");
    }
  });

  it("describes every field but the known undocumented ones", () => {
    expect(undocumented(fields)).toEqual(KNOWN_UNDOCUMENTED);
  });
});

describe("the generator", () => {
  it("takes type, default and JSDoc description of a field from the schema and its source", () => {
    expect(field("prometheus.retention")).toEqual({
      path: "prometheus.retention",
      type: "string (duration)",
      isObject: false,
      default: '`"15d"`',
      description: "How long samples are kept (`--storage.tsdb.retention.time`). Default `15d`.",
      source: "jsdoc",
    });
    expect(field("platform")).toMatchObject({ type: '"docker" | "kubernetes"', default: "**required**" });
    expect(field("kubernetes.storageClass")).toMatchObject({ type: "string", default: "optional" });
  });

  it("follows imported schemas, arrays and spreads to the comment of the field", () => {
    // alertingSchema is defined in components/alerting/config.ts; slack[] is slackSchema there.
    expect(field("alerting.receivers[].slack[].channel").description).toMatch(/^Channel \(`#alerts`\) or user/);
    // `enabled` is redefined after `...exporterBase` without a comment: the spread one's applies.
    expect(field("exporters.node.enabled")).toMatchObject({ description: "Deploy and scrape this exporter.", default: "`true`" });
    expect(field("exporters.blackbox.http")).toMatchObject({ type: "list of string (httpUrl)", default: "`[]`" });
  });

  it("falls back to .describe() and then to the named schema's comment", () => {
    // times[].start has no JSDoc, only .describe(); resources.requests.cpu only cpuQuantity's JSDoc.
    expect(field("alerting.muteTimeIntervals[].timeIntervals[].times[].start")).toMatchObject({ description: "HH:MM, inclusive. Required.", source: "describe" });
    expect(field("prometheus.resources.requests.cpu")).toMatchObject({ description: "A CPU quantity: `250m`, `1`, `0.5`.", source: "named-schema" });
  });

  it("stops at a recursive schema and says what it repeats", () => {
    expect(field("alerting.route.routes[].routes").type).toBe("list of object (recursive: as `alerting.route.routes[]`)");
    expect(fields.some((f) => f.path.startsWith("alerting.route.routes[].routes[]."))).toBe(false);
  });

  it("lists every top-level key of the schema, in schema order", () => {
    const tops = fields.filter((f) => !/[.[]/.test(f.path)).map((f) => f.path);
    expect(tops).toEqual(Object.keys(stackConfigSchema.shape));
  });

  it("notices a new field: the reference changes and the field lacks a description", () => {
    // An extended copy: the real schema stays as it is. The generator reads the same source, where
    // the new field has no comment.
    const extended = stackConfigSchema.extend({ newSetting: z.string().default("x") });
    const withNew = configFields(extended);
    expect(withNew.find((f) => f.path === "newSetting")).toEqual({ path: "newSetting", type: "string", isObject: false, default: '`"x"`' });
    expect(undocumented(withNew)).toEqual([...KNOWN_UNDOCUMENTED, "newSetting"]);
    expect(renderConfigReference(withNew)).not.toEqual(renderConfigReference(fields));
  });

  it("uses a new field's .describe() when it has no comment", () => {
    const extended = stackConfigSchema.extend({ newSetting: z.string().default("x").describe("What the new setting does.") });
    expect(configFields(extended).find((f) => f.path === "newSetting")?.description).toBe("What the new setting does.");
  });
});
