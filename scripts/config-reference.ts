/**
 * `npm run docs:config`: writes docs/config-reference.md, every key of the stack config with its
 * type, default and description, generated from `stackConfigSchema` so it cannot drift from it.
 * test/config-reference.test.ts fails when the committed file differs from a fresh render, and
 * when a field has no description.
 *
 * Types and defaults come from the zod schema itself. Descriptions come from the JSDoc comment
 * above each property in the schema's source (components/stack/config-schema.ts and the pillars' config.ts it imports), read with the TypeScript
 * compiler API by following the schema's source expression alongside the zod object (through
 * `strictObject({...})`, `z.array(x)`, `z.lazy(() => x)`, spreads, method chains and imported
 * constants); then from `.describe()`; then from the JSDoc of the named schema constant the field
 * is built from (`cpuQuantity`: "A CPU quantity: ...").
 */
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { z } from "zod";
import { stackConfigSchema } from "../components/stack/config-schema";

const ROOT = path.join(__dirname, "..");
export const SCHEMA_FILE = path.join(ROOT, "components", "stack", "config-schema.ts");
export const REFERENCE_FILE = path.join(ROOT, "docs", "config-reference.md");

/** One documented key. */
export interface FieldDoc {
  /** `prometheus.retention`, `alerting.receivers[].slack[].channel`. */
  path: string;
  /** `string (duration)`, `list of string (httpUrl)`, `"docker" \| "kubernetes"`, `object`. */
  type: string;
  /** An object's fields are documented one by one; an object itself needs no description. */
  isObject: boolean;
  /** `required`, `optional`, or the default as JSON. */
  default: string;
  description?: string;
  /** Where the description came from. */
  source?: "jsdoc" | "describe" | "named-schema";
}

// ---------------------------------------------------------------------------------------------
// The source side: which object literal, array element or constant a schema expression is.
// ---------------------------------------------------------------------------------------------

/** A schema expression in the source, resolved as far as the compiler API lets us. */
export interface SourceNode {
  /** Properties of the object literal the expression builds (strictObject/z.object). */
  props?: Map<string, SourceProp>;
  /** The element of `z.array(x)` / the value of `z.record(...)`. */
  element?: () => SourceNode;
  /** JSDoc of the first named constant the expression goes through (`cpuQuantity`). */
  namedDoc?: string;
  /** Name of that constant, for the type column. */
  name?: string;
}

export interface SourceProp {
  doc?: string;
  node: () => SourceNode;
}

export class SourceIndex {
  private files = new Map<string, ts.SourceFile>();

  file(fileName: string): ts.SourceFile {
    let sf = this.files.get(fileName);
    if (!sf) {
      sf = ts.createSourceFile(fileName, fs.readFileSync(fileName, "utf8"), ts.ScriptTarget.ES2022, true);
      this.files.set(fileName, sf);
    }
    return sf;
  }

  /** The initializer and JSDoc of a top-level `const name = ...` of a file, following imports. */
  constant(fileName: string, name: string, depth = 0): { init: ts.Expression; doc?: string; file: string } | undefined {
    if (depth > 10) return undefined;
    const sf = this.file(fileName);
    for (const stmt of sf.statements) {
      if (ts.isVariableStatement(stmt)) {
        for (const decl of stmt.declarationList.declarations) {
          if (ts.isIdentifier(decl.name) && decl.name.text === name && decl.initializer) {
            return { init: decl.initializer, doc: jsDocOf(stmt), file: fileName };
          }
        }
      }
      if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier) && stmt.moduleSpecifier.text.startsWith(".")) {
        const named = stmt.importClause?.namedBindings;
        if (named && ts.isNamedImports(named)) {
          const spec = named.elements.find((e) => e.name.text === name);
          if (spec) {
            const target = path.resolve(path.dirname(fileName), `${stmt.moduleSpecifier.text}.ts`);
            return fs.existsSync(target) ? this.constant(target, (spec.propertyName ?? spec.name).text, depth + 1) : undefined;
          }
        }
      }
    }
    return undefined;
  }

  /** What a schema expression builds. */
  resolve(expr: ts.Expression, fileName: string, depth = 0): SourceNode {
    if (depth > 40) return {};
    if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr)) return this.resolve(expr.expression, fileName, depth + 1);
    if (ts.isIdentifier(expr)) {
      const found = this.constant(fileName, expr.text);
      if (!found) return {};
      const inner = this.resolve(found.init, found.file, depth + 1);
      // The outermost name wins: `sendResolved` rather than what it is built from.
      return { ...inner, namedDoc: found.doc ?? inner.namedDoc, name: expr.text };
    }
    if (ts.isObjectLiteralExpression(expr)) return { props: this.props(expr, fileName, depth) };
    if (ts.isArrowFunction(expr) && !ts.isBlock(expr.body)) return this.resolve(expr.body, fileName, depth + 1);
    if (ts.isCallExpression(expr)) {
      const callee = expr.expression;
      if (ts.isIdentifier(callee) && callee.text === "strictObject" && expr.arguments[0]) return this.resolve(expr.arguments[0], fileName, depth + 1);
      if (ts.isPropertyAccessExpression(callee)) {
        const method = callee.name.text;
        if (ts.isIdentifier(callee.expression) && callee.expression.text === "z") {
          const args = expr.arguments;
          if (method === "object" && args[0]) return this.resolve(args[0], fileName, depth + 1);
          if (method === "lazy" && args[0]) return this.resolve(args[0], fileName, depth + 1);
          if ((method === "array" || method === "record") && args.length > 0) {
            const element = args[args.length - 1];
            return { element: () => this.resolve(element, fileName, depth + 1) };
          }
          return {};
        }
        // A method on a schema (`.default()`, `.optional()`, `.describe()`, `.refine()`, ...): the schema it is called on.
        return this.resolve(callee.expression, fileName, depth + 1);
      }
      return {};
    }
    return {};
  }

  private props(obj: ts.ObjectLiteralExpression, fileName: string, depth: number): Map<string, SourceProp> {
    const out = new Map<string, SourceProp>();
    for (const p of obj.properties) {
      if (ts.isSpreadAssignment(p)) {
        const spread = this.resolve(p.expression, fileName, depth + 1);
        for (const [k, v] of spread.props ?? []) out.set(k, v);
        continue;
      }
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (!name) continue;
      const init = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
      if (!init) continue;
      // A property that overrides a spread one (`enabled: z.boolean().default(true)` after
      // `...exporterBase`) keeps the spread one's comment unless it has its own.
      const doc = jsDocOf(p) ?? out.get(name)?.doc;
      out.set(name, { doc, node: () => this.resolve(init, fileName, depth + 1) });
    }
    return out;
  }
}

function jsDocOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const text = docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? "").join(" ").replace(/\s+/g, " ").trim();
  return text === "" ? undefined : text;
}

// ---------------------------------------------------------------------------------------------
// The zod side: types and defaults, walked alongside the source.
// ---------------------------------------------------------------------------------------------

export interface Unwrapped {
  core: z.ZodTypeAny;
  defaultValue?: unknown;
  hasDefault: boolean;
  optional: boolean;
  description?: string;
  /** The ZodLazy passed through, if any: the identity of a recursive schema. */
  lazy?: z.ZodTypeAny;
}

export function unwrap(schema: z.ZodTypeAny): Unwrapped {
  const out: Unwrapped = { core: schema, hasDefault: false, optional: false };
  let s: z.ZodTypeAny = schema;
  for (;;) {
    out.description ??= s.description;
    const def = s._def as { typeName: z.ZodFirstPartyTypeKind } & Record<string, any>;
    switch (def.typeName) {
      case z.ZodFirstPartyTypeKind.ZodDefault:
        if (!out.hasDefault) {
          out.hasDefault = true;
          out.defaultValue = def.defaultValue();
        }
        s = def.innerType;
        continue;
      case z.ZodFirstPartyTypeKind.ZodOptional:
      case z.ZodFirstPartyTypeKind.ZodNullable:
        out.optional = true;
        s = def.innerType;
        continue;
      case z.ZodFirstPartyTypeKind.ZodEffects:
        s = def.schema;
        continue;
      case z.ZodFirstPartyTypeKind.ZodBranded:
        s = def.type;
        continue;
      case z.ZodFirstPartyTypeKind.ZodPipeline:
        s = def.in;
        continue;
      case z.ZodFirstPartyTypeKind.ZodLazy:
        out.lazy ??= s;
        s = def.getter();
        continue;
      default:
        out.core = s;
        return out;
    }
  }
}

function typeName(core: z.ZodTypeAny, name: string | undefined, element: () => string): string {
  const def = core._def as { typeName: z.ZodFirstPartyTypeKind } & Record<string, any>;
  const named = (base: string) => (name && !/Schema$/.test(name) ? `${base} (${name})` : base);
  switch (def.typeName) {
    case z.ZodFirstPartyTypeKind.ZodString:
      return named("string");
    case z.ZodFirstPartyTypeKind.ZodNumber:
      return named((def.checks as { kind: string }[]).some((c) => c.kind === "int") ? "integer" : "number");
    case z.ZodFirstPartyTypeKind.ZodBoolean:
      return "boolean";
    case z.ZodFirstPartyTypeKind.ZodEnum:
      return (def.values as string[]).map((v) => `"${v}"`).join(" | ");
    case z.ZodFirstPartyTypeKind.ZodLiteral:
      return JSON.stringify(def.value);
    case z.ZodFirstPartyTypeKind.ZodArray:
      return `list of ${element()}`;
    case z.ZodFirstPartyTypeKind.ZodRecord:
      return named(`map of string to ${element()}`);
    case z.ZodFirstPartyTypeKind.ZodObject:
      return "object";
    case z.ZodFirstPartyTypeKind.ZodUnknown:
    case z.ZodFirstPartyTypeKind.ZodAny:
      return "any";
    default:
      return String(def.typeName).replace(/^Zod/, "").toLowerCase();
  }
}

export function defaultText(u: Unwrapped): string {
  if (u.hasDefault) return `\`${JSON.stringify(u.defaultValue)}\``;
  return u.optional ? "optional" : "**required**";
}

/**
 * Every field of `schema`, depth first in declaration order. `sourceRoot` is the source expression
 * the schema was built from (default: `stackConfigSchema` in components/stack/config-schema.ts).
 */
export function configFields(schema: z.ZodTypeAny = stackConfigSchema, source: { file: string; constant: string } = { file: SCHEMA_FILE, constant: "stackConfigSchema" }): FieldDoc[] {
  const index = new SourceIndex();
  const root = index.constant(source.file, source.constant);
  const rootNode = root ? index.resolve(root.init, root.file) : {};
  const fields: FieldDoc[] = [];

  const walkObject = (obj: z.ZodTypeAny, src: SourceNode, prefix: string, lazies: Map<z.ZodTypeAny, string>) => {
    const shape = (obj as z.AnyZodObject).shape as Record<string, z.ZodTypeAny>;
    for (const [key, child] of Object.entries(shape)) {
      const prop = src.props?.get(key);
      walkField(child, prop?.node() ?? {}, `${prefix}${key}`, prop?.doc, lazies);
    }
  };

  const walkField = (schemaField: z.ZodTypeAny, src: SourceNode, fieldPath: string, doc: string | undefined, lazies: Map<z.ZodTypeAny, string>) => {
    const u = unwrap(schemaField);
    const description = doc ?? u.description ?? src.namedDoc;
    const sourceKind: FieldDoc["source"] = doc ? "jsdoc" : u.description ? "describe" : src.namedDoc ? "named-schema" : undefined;
    const coreKind = (u.core._def as { typeName: string }).typeName;

    // Elements of arrays and values of records: their own fields, under `path[]` / `path.<key>`.
    let elementType = "";
    const children: (() => void)[] = [];
    if (coreKind === z.ZodFirstPartyTypeKind.ZodArray || coreKind === z.ZodFirstPartyTypeKind.ZodRecord) {
      const elementSchema: z.ZodTypeAny = coreKind === z.ZodFirstPartyTypeKind.ZodArray ? (u.core as z.ZodArray<z.ZodTypeAny>).element : (u.core as z.ZodRecord).valueSchema;
      const e = unwrap(elementSchema);
      const elementSrc = src.element?.() ?? {};
      const elementPath = coreKind === z.ZodFirstPartyTypeKind.ZodArray ? `${fieldPath}[]` : `${fieldPath}.<key>`;
      const recursiveOf = e.lazy ? lazies.get(e.lazy) : undefined;
      const isObjectElement = (e.core._def as { typeName: string }).typeName === z.ZodFirstPartyTypeKind.ZodObject;
      elementType = isObjectElement ? (recursiveOf ? `object (recursive: as \`${recursiveOf}\`)` : "object") : typeName(e.core, elementSrc.name, () => "any");
      if (isObjectElement && !recursiveOf) {
        const next = new Map(lazies);
        if (e.lazy) next.set(e.lazy, elementPath);
        children.push(() => walkObject(e.core, elementSrc, `${elementPath}.`, next));
      }
    }
    const isObject = coreKind === z.ZodFirstPartyTypeKind.ZodObject;
    fields.push({
      path: fieldPath,
      type: typeName(u.core, src.name, () => elementType),
      isObject,
      default: defaultText(u),
      ...(description ? { description, source: sourceKind } : {}),
    });
    if (isObject) walkObject(u.core, src, `${fieldPath}.`, lazies);
    for (const c of children) c();
  };

  const top = unwrap(schema);
  walkObject(top.core, rootNode, "", new Map());
  return fields;
}

/** Fields (not objects: those are documented by their fields) without any description. */
export function undocumented(fields: FieldDoc[]): string[] {
  return fields.filter((f) => !f.isObject && !f.description).map((f) => f.path);
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The markdown reference: one table per top-level key, in schema order. Deterministic. */
export function renderConfigReference(fields: FieldDoc[] = configFields()): string {
  const lines = [
    "# Config reference",
    "",
    "<!-- Generated by `npm run docs:config` (scripts/config-reference.ts) from stackConfigSchema. Do not edit. -->",
    "",
    "Every key lives under `observability:` in `Pulumi.<stack>.yaml`; unknown keys are errors.",
    "`[]` is each element of a list, `<key>` each key of a map. Defaults are as JSON; an object's",
    "default is `{}` when each of its fields has its own. **required** inside an optional object or a",
    "list means required whenever that object or element is given.",
    "Secrets are not here: they are set with `pulumi config set --secret` (see the README).",
  ];
  const sections = new Map<string, FieldDoc[]>();
  const parents = new Set(fields.map((f) => f.path.split(/[.[]/)[0]).filter((top) => fields.some((f) => f.path.startsWith(`${top}.`) || f.path.startsWith(`${top}[`))));
  for (const f of fields) {
    // Keys with fields of their own get a section each; plain top-level keys share the first one.
    const first = f.path.split(/[.[]/)[0];
    const top = parents.has(first) ? first : "";
    if (!sections.has(top)) sections.set(top, []);
    sections.get(top)!.push(f);
  }
  for (const [top, rows] of sections) {
    lines.push("", top === "" ? "## Top level" : `## \`${top}\``, "", "| key | type | default | description |", "|---|---|---|---|");
    for (const f of rows) {
      lines.push(`| \`${f.path}\` | ${cell(f.type)} | ${cell(f.default)} | ${cell(f.description ?? "")} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

if (require.main === module) {
  const fields = configFields();
  fs.mkdirSync(path.dirname(REFERENCE_FILE), { recursive: true });
  fs.writeFileSync(REFERENCE_FILE, renderConfigReference(fields));
  const missing = undocumented(fields);
  console.log(`wrote ${path.relative(process.cwd(), REFERENCE_FILE)}: ${fields.length} keys`);
  if (missing.length > 0) console.log(`without a description (add a JSDoc comment in the schema: components/stack/config-schema.ts or a pillar's config.ts): ${missing.join(", ")}`);
}
