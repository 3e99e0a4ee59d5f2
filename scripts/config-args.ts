/**
 * `npm run gen:config-args`: writes components/stack/args.generated.ts, the stack config as NAMED
 * interfaces, generated from `stackConfigSchema` so they cannot drift from it.
 *
 * Why: the Node component-provider host (@pulumi/pulumi provider/experimental/analyzer) turns the
 * `args` interface of a component into the schema other languages' SDKs are generated from, and it
 * maps only named interfaces (one schema type each), `string`/`number`/`boolean`/`any`, `T[]`,
 * `Record<string, T>`, and string-literal unions that are named the `as const` way (an enum). The
 * zod-inferred input type is one anonymous object type, which it refuses. So every object of the
 * schema becomes an interface here, every `z.enum` an `as const` object with a type of the same
 * name, and every field keeps its description and default as JSDoc (the host turns a property's
 * JSDoc into its schema description). The zod schema still validates at runtime; the generated
 * file ends with a compile-time check that interface and schema input accept the same configs.
 *
 * test/config-args.test.ts fails when the committed file differs from a fresh render.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { stackConfigSchema } from "../components/stack/config-schema";
import { configFields, defaultText, FieldDoc, SCHEMA_FILE, SourceIndex, SourceNode, unwrap } from "./config-reference";

const ROOT = path.join(__dirname, "..");
export const ARGS_FILE = path.join(ROOT, "components", "stack", "args.generated.ts");
/** The interface of the whole config: `ObservabilityStackArgs.config` of the plugin's component. */
export const ROOT_INTERFACE = "ObservabilityStackConfig";

export interface ArgsField {
  key: string;
  /** TypeScript type text: `string`, `PrometheusConfig`, `Record<string, string>`, `Severity[]`. */
  type: string;
  optional: boolean;
  /** Description, then the default; never empty. */
  doc: string;
}

export type ArgsDecl =
  | { kind: "interface"; name: string; path: string; fields: ArgsField[] }
  | { kind: "enum"; name: string; path: string; values: string[] };

const Kind = z.ZodFirstPartyTypeKind;
const kindOf = (s: z.ZodTypeAny): string => (s._def as { typeName: string }).typeName;

const pascal = (text: string): string =>
  text
    .replace(/Schema$/, "")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");

/** `receivers` → `Receiver`: an element of a list is one of them. */
const singular = (word: string): string => (/[^s]s$/.test(word) ? word.slice(0, -1) : word);

/**
 * Every declaration the config needs, the root interface first, then in the order the schema
 * reaches them. An object used in several places (`resources`) is one interface; a recursive one
 * (the alert routes) refers to itself.
 */
export function configArgs(
  schema: z.ZodTypeAny = stackConfigSchema,
  source: { file: string; constant: string } = { file: SCHEMA_FILE, constant: "stackConfigSchema" },
): ArgsDecl[] {
  const docs = new Map<string, FieldDoc>(configFields(schema, source).map((f) => [f.path, f]));
  const index = new SourceIndex();
  const root = index.constant(source.file, source.constant);
  const rootNode: SourceNode = root ? index.resolve(root.init, root.file) : {};

  const decls: ArgsDecl[] = [];
  const interfaceOf = new Map<z.ZodTypeAny, string>();
  const taken = new Set<string>();

  /** A free name: the preferred one, else qualified by the parent, else numbered. */
  const claim = (preferred: string, qualified: string): string => {
    for (const candidate of [preferred, qualified]) {
      if (!taken.has(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
    for (let i = 2; ; i++) {
      if (!taken.has(`${qualified}${i}`)) {
        taken.add(`${qualified}${i}`);
        return `${qualified}${i}`;
      }
    }
  };

  const docOf = (fieldPath: string, isObject: boolean): string => {
    const doc = docs.get(fieldPath);
    if (!doc) throw new Error(`${fieldPath}: not in the config reference (configFields); the generator and the reference disagree`);
    const description = doc.description ?? (isObject ? `The \`${fieldPath}\` settings.` : undefined);
    if (!description) throw new Error(`${fieldPath} has no description: add a JSDoc comment in the schema (components/stack/config-schema.ts or a pillar's config.ts)`);
    // The exact default, unless the description already says what it is.
    const dflt = defaultText(unwrapAt(fieldPath));
    return dflt.startsWith("`") && !/\bdefault\b/i.test(description) ? `${description}\nDefault: ${dflt}.` : description;
  };

  // defaultText needs the unwrapped schema; keep them by path while walking.
  const unwrapped = new Map<string, ReturnType<typeof unwrap>>();
  const unwrapAt = (fieldPath: string) => unwrapped.get(fieldPath)!;

  const objectInterface = (obj: z.ZodTypeAny, identity: z.ZodTypeAny, src: SourceNode, name: string, prefix: string): string => {
    const existing = interfaceOf.get(identity);
    if (existing) return existing;
    interfaceOf.set(identity, name);
    const decl: ArgsDecl = { kind: "interface", name, path: prefix.replace(/\.$/, ""), fields: [] };
    decls.push(decl);
    const base = name === ROOT_INTERFACE ? "" : name.replace(/Config$/, "");
    for (const [key, child] of Object.entries((obj as z.AnyZodObject).shape as Record<string, z.ZodTypeAny>)) {
      const prop = src.props?.get(key);
      const fieldPath = `${prefix}${key}`;
      const u = unwrap(child);
      unwrapped.set(fieldPath, u);
      const type = typeOf(u.core, u.lazy, prop?.node() ?? {}, key, fieldPath, base);
      decl.fields.push({ key, type, optional: u.optional || u.hasDefault, doc: docOf(fieldPath, kindOf(u.core) === Kind.ZodObject) });
    }
    return name;
  };

  const enumAlias = (values: string[], name: string, fieldPath: string): string => {
    const same = decls.find((d) => d.kind === "enum" && d.name === name);
    if (same && same.kind === "enum" && same.values.join("\n") === values.join("\n")) return name;
    if (same || taken.has(name)) throw new Error(`${fieldPath}: the enum name ${name} is taken by other values; name the enum differently in the generator`);
    taken.add(name);
    decls.push({ kind: "enum", name, path: fieldPath, values });
    return name;
  };

  /** The TypeScript type of a schema (already unwrapped) at `fieldPath`. */
  const typeOf = (core: z.ZodTypeAny, lazy: z.ZodTypeAny | undefined, src: SourceNode, key: string, fieldPath: string, parentBase: string): string => {
    const def = core._def as Record<string, any>;
    switch (kindOf(core)) {
      case Kind.ZodString:
        return "string";
      case Kind.ZodNumber:
        return "number";
      case Kind.ZodBoolean:
        return "boolean";
      case Kind.ZodUnknown:
      case Kind.ZodAny:
        return "any";
      case Kind.ZodEnum:
        return enumAlias(def.values as string[], `${parentBase}${pascal(key)}`, fieldPath);
      case Kind.ZodArray:
      case Kind.ZodRecord: {
        const isArray = kindOf(core) === Kind.ZodArray;
        const element = unwrap(isArray ? def.type : def.valueType);
        const elementPath = isArray ? `${fieldPath}[]` : `${fieldPath}.<key>`;
        const inner = typeOf(element.core, element.lazy, src.element?.() ?? {}, isArray ? singular(key) : key, elementPath, parentBase);
        return isArray ? `${inner}[]` : `Record<string, ${inner}>`;
      }
      case Kind.ZodObject: {
        const identity = lazy ?? core;
        const existing = interfaceOf.get(identity);
        if (existing) return existing;
        // A schema built from a named constant (`resources`, `slackSchema`) is named after it;
        // an inline one after its place (`logs.storage` → `LogsStorageConfig`).
        const qualified = `${parentBase}${pascal(key)}Config`;
        const name = claim(src.name ? `${pascal(src.name)}Config` : qualified, qualified);
        return objectInterface(core, identity, src, name, `${fieldPath}.`);
      }
      default:
        throw new Error(`${fieldPath}: a zod ${kindOf(core)} has no form the component host can map; extend scripts/config-args.ts`);
    }
  };

  const top = unwrap(schema);
  taken.add(ROOT_INTERFACE);
  objectInterface(top.core, top.lazy ?? top.core, rootNode, ROOT_INTERFACE, "");
  return decls;
}

/** `*\/` would end the comment early. */
const commentText = (text: string): string => text.replace(/\*\//g, "*\\/");

function jsDoc(text: string, indent: string): string[] {
  const lines = commentText(text).split("\n");
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`];
}

/** An enum member's name: `kubernetes` → `Kubernetes`, `P1` → `P1`. */
const memberName = (value: string): string => {
  const name = pascal(value);
  return /^[A-Za-z_]/.test(name) ? name : `V${name}`;
};

const propertyKey = (key: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : JSON.stringify(key));

/** The file's text. Deterministic: the same schema renders the same bytes. */
export function renderConfigArgs(decls: ArgsDecl[] = configArgs()): string {
  const out = [
    "// Generated by `npm run gen:config-args` (scripts/config-args.ts) from stackConfigSchema. Do not edit.",
    "//",
    "// The stack config as named interfaces, for the component-provider host (plugin/): it maps named",
    "// interfaces and `as const` enums, not zod's anonymous inferred type. The zod schema still validates.",
    "",
    'import type { StackConfigInput } from "./config-schema";',
  ];
  for (const decl of decls) {
    out.push("");
    if (decl.kind === "enum") {
      out.push(...jsDoc(`The values of \`${decl.path}\`.`, ""));
      out.push(`export const ${decl.name} = {`);
      for (const v of decl.values) out.push(`  ${memberName(v)}: ${JSON.stringify(v)},`);
      out.push("} as const;");
      out.push(`export type ${decl.name} = (typeof ${decl.name})[keyof typeof ${decl.name}];`);
      continue;
    }
    out.push(...jsDoc(decl.path === "" ? "The stack's configuration: the keys under `observability:` of `Pulumi.<stack>.yaml` (docs/config-reference.md)." : `The \`${decl.path}\` key of the stack config.`, ""));
    out.push(`export interface ${decl.name} {`);
    for (const f of decl.fields) {
      out.push(...jsDoc(f.doc, "  "));
      out.push(`  ${propertyKey(f.key)}${f.optional ? "?" : ""}: ${f.type};`);
    }
    out.push("}");
  }
  out.push(
    "",
    "// Compile-time check: a config of the interfaces is a config of the schema and the other way round;",
    "// a drift is a tsc error here (run `npm run gen:config-args`).",
    "type Assignable<A extends B, B> = A;",
    `type _ArgsAcceptedBySchema = Assignable<${ROOT_INTERFACE}, StackConfigInput>;`,
    `type _SchemaAcceptedByArgs = Assignable<StackConfigInput, ${ROOT_INTERFACE}>;`,
    "",
  );
  return out.join("\n");
}

if (require.main === module) {
  const decls = configArgs();
  fs.writeFileSync(ARGS_FILE, renderConfigArgs(decls));
  const interfaces = decls.filter((d) => d.kind === "interface").length;
  console.log(`wrote ${path.relative(process.cwd(), ARGS_FILE)}: ${interfaces} interfaces, ${decls.length - interfaces} enums`);
}
