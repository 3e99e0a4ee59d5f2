import * as path from "path";
import ts from "typescript";

/**
 * The contract of Pulumi's Node.js component-provider host (`PulumiPlugin.yaml`, `runtime: nodejs`;
 * @pulumi/pulumi `provider/experimental/analyzer`), checked with the TypeScript compiler API.
 * Another language can only construct a component whose `args` is an interface of:
 *
 * - `string`, `number`, `boolean`, `any`, and unions of string or number literals that have a
 *   name (a type alias: the host turns it into an enum and needs the name);
 * - arrays (`T[]`) and string-keyed maps (`Record<string, T>`) of them;
 * - `pulumi.Input<T>` / `pulumi.Output<T>` of them;
 * - named interfaces of them (the host emits a type per interface), without methods;
 * - references to resources of `@pulumi/*` packages (the only ones the host can name in the schema).
 *
 * Not: functions or methods, classes that are not resources, anonymous object types (zod's
 * inferred types are anonymous), unions of object types, intersections, `unknown`.
 * The host throws on the first such type; this checker lists them all, each with its path.
 */

/** What a violation breaks, for assertions that do not depend on how a type is printed. */
export type Rule =
  | "constructor"
  | "not-interface"
  | "unknown"
  | "unnamed-literal-union"
  | "union"
  | "intersection"
  | "function"
  | "methods"
  | "readonly-array"
  | "class"
  | "non-pulumi-resource"
  | "anonymous-object"
  | "unmapped";

export interface Violation {
  /** `ObservabilityStackArgs.secrets.alertingSecrets[key]`: `[]` is an array element, `[key]` a map value. */
  path: string;
  rule: Rule;
  /** Why, for a human. */
  message: string;
}

export interface ComponentContract {
  /** Exported class name. */
  component: string;
  /** The `args` parameter's type name, or undefined when it is not an interface. */
  argsType?: string;
  violations: Violation[];
}

/** `path [rule]`: a violation in a form stable across type-printing changes. */
export const brief = (v: Violation): string => `${v.path} [${v.rule}]`;

/** A program over the given entry files, with the repository's compiler options. */
export function contractProgram(rootNames: string[], repoRoot: string): ts.Program {
  const configPath = path.join(repoRoot, "tsconfig.json");
  const raw = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(raw.config, ts.sys, repoRoot);
  // The host analyses with strictNullChecks on (optional properties are `T | undefined`).
  return ts.createProgram({ rootNames, options: { ...parsed.options, strictNullChecks: true, noEmit: true } });
}

/** Every exported class of `entry` that extends `pulumi.ComponentResource`, with its contract violations. */
export function checkComponents(program: ts.Program, entry: string): ComponentContract[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`${entry} is not part of the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} has no module symbol (no exports?)`);
  const out: ComponentContract[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decl = symbol.declarations?.find(ts.isClassDeclaration);
    if (!decl || !extendsNamed(checker, checker.getDeclaredTypeOfSymbol(symbol), "ComponentResource")) continue;
    out.push(checkComponent(checker, exported.name, decl));
  }
  return out.sort((a, b) => a.component.localeCompare(b.component));
}

function checkComponent(checker: ts.TypeChecker, name: string, decl: ts.ClassDeclaration): ComponentContract {
  const ctors = decl.members.filter(ts.isConstructorDeclaration);
  if (ctors.length !== 1) return { component: name, violations: [{ path: name, rule: "constructor", message: `must have exactly one constructor (has ${ctors.length})` }] };
  const param = ctors[0].parameters.find((p) => ts.isIdentifier(p.name) && p.name.text === "args");
  if (!param?.type) return { component: name, violations: [{ path: name, rule: "constructor", message: "the constructor needs a typed parameter named args" }] };
  const type = checker.getTypeFromTypeNode(param.type);
  const sym = type.getSymbol();
  if (!sym || !(sym.flags & ts.SymbolFlags.Interface)) {
    return { component: name, violations: [{ path: `${name}.args`, rule: "not-interface", message: `${show(checker, type)} is not an interface` }] };
  }
  const violations: Violation[] = [];
  checkProperties(checker, type, sym.name, violations, new Set([sym]));
  return { component: name, argsType: sym.name, violations };
}

function checkProperties(checker: ts.TypeChecker, type: ts.Type, where: string, out: Violation[], seen: Set<ts.Symbol>): void {
  for (const prop of type.getProperties()) {
    const decl = prop.valueDeclaration ?? prop.declarations?.[0];
    if (!decl) continue;
    checkType(checker, checker.getTypeOfSymbolAtLocation(prop, decl), `${where}.${prop.name}`, out, seen);
  }
}

function checkType(checker: ts.TypeChecker, type: ts.Type, where: string, out: Violation[], seen: Set<ts.Symbol>): void {
  const fail = (rule: Rule, message: string) => {
    out.push({ path: where, rule, message });
  };

  // `T | undefined` (an optional property) is T.
  if (type.isUnion() && type.types.some(isUndefined)) {
    const rest = type.types.filter((t) => !isUndefined(t));
    if (rest.length === 1) return checkType(checker, rest[0], where, out, seen);
    // `boolean | undefined` is `true | false | undefined`.
    if (rest.length === 2 && rest.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return;
  }
  if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.Boolean | ts.TypeFlags.Any)) return;
  if (type.flags & ts.TypeFlags.Unknown) return fail("unknown", "unknown has no schema type");

  const input = inputInner(checker, type);
  if (input) return checkType(checker, input, where, out, seen);
  const output = outputInner(checker, type);
  if (output) return checkType(checker, output, where, out, seen);

  if (type.isUnion()) {
    const members = type.types.filter((t) => !isUndefined(t));
    if (members.every((t) => t.isStringLiteral()) || members.every((t) => t.isNumberLiteral())) {
      if (type.aliasSymbol) return;
      // The host names the enum after the union's alias; `Alias | undefined` (an optional
      // property) is a new union without one, so the host rejects it as it does an anonymous union.
      return fail("unnamed-literal-union", `the literal union ${show(checker, type)} has no name the host can see (it makes an enum of a named union; an optional property's \`| undefined\` loses the alias)`);
    }
    return fail("union", `the union ${show(checker, type)} cannot be mapped (only unions of literals can)`);
  }
  if (type.isIntersection()) return fail("intersection", `the intersection ${show(checker, type)} cannot be mapped`);
  if (type.getCallSignatures().length > 0) return fail("function", `a function (${show(checker, type)}) cannot cross languages`);

  if (checker.isArrayType(type)) {
    if (type.getSymbol()?.name !== "Array") return fail("readonly-array", `${show(checker, type)}: only Array<T> maps to a list (not ReadonlyArray)`);
    return checkType(checker, checker.getTypeArguments(type as ts.TypeReference)[0], `${where}[]`, out, seen);
  }

  if (type.isClass()) {
    if (!extendsNamed(checker, type, "Resource")) return fail("class", `the class ${show(checker, type)} cannot be constructed by another language`);
    const file = type.getSymbol()?.declarations?.[0]?.getSourceFile().fileName ?? "";
    if (!/[\\/]node_modules[\\/]@pulumi[\\/]/.test(file)) {
      return fail("non-pulumi-resource", `${show(checker, type)} is a resource of a package other than @pulumi/* (${packageOf(file)}): the host can only reference @pulumi resources`);
    }
    return;
  }

  const sym = type.getSymbol();
  if (type.isClassOrInterface() && sym) {
    if (seen.has(sym)) return;
    seen.add(sym);
    const methods = type.getProperties().filter((p) => p.flags & ts.SymbolFlags.Method).map((p) => p.name);
    // A behaviour interface (the Platform) is satisfied by a class instance only TypeScript can make:
    // one finding for the interface, not one per member.
    if (methods.length > 0) return fail("methods", `the interface ${sym.name} has methods (${methods.join(", ")}): a function cannot cross languages`);
    return checkProperties(checker, type, where, out, seen);
  }

  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index && type.getProperties().length === 0) return checkType(checker, index.type, `${where}[key]`, out, seen);

  if (type.flags & ts.TypeFlags.Object) {
    return fail("anonymous-object", `the anonymous object type ${show(checker, type)} cannot be mapped (the host needs a named interface)`);
  }
  return fail("unmapped", `${show(checker, type)} is not a type the host maps`);
}

function isUndefined(t: ts.Type): boolean {
  return (t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0;
}

/** Declared in @pulumi/pulumi's `output.d.ts` under this name. */
function isPulumiOutputSymbol(sym: ts.Symbol | undefined): boolean {
  return !!sym && (sym.name === "OutputInstance" || sym.name === "Output") && /output\.d?\.?ts$/.test(sym.declarations?.[0]?.getSourceFile().fileName ?? "");
}

/** T of `pulumi.Output<T>` (an `OutputInstance<T> & Lifted<T>` intersection, or `OutputInstance<T>`). */
function outputInner(checker: ts.TypeChecker, type: ts.Type): ts.Type | undefined {
  const candidates = type.isIntersection() ? type.types : [type];
  for (const t of candidates) {
    if (isPulumiOutputSymbol(t.getSymbol() ?? t.aliasSymbol)) {
      const args = checker.getTypeArguments(t as ts.TypeReference);
      if (args.length > 0) return args[0];
      if (t.aliasTypeArguments?.length) return t.aliasTypeArguments[0];
    }
  }
  return undefined;
}

/** T of `pulumi.Input<T>` = `T | Promise<T> | Output<T>`: the Promise's argument. */
function inputInner(checker: ts.TypeChecker, type: ts.Type): ts.Type | undefined {
  if (!type.isUnion()) return undefined;
  const promise = type.types.find((t) => t.getSymbol()?.name === "Promise");
  const hasOutput = type.types.some((t) => outputInner(checker, t) !== undefined);
  if (!promise || !hasOutput) return undefined;
  return checker.getTypeArguments(promise as ts.TypeReference)[0];
}

/** The type or one of its base classes is @pulumi/pulumi's class of this name (declared in resource.d.ts). */
function extendsNamed(checker: ts.TypeChecker, type: ts.Type, name: "Resource" | "ComponentResource"): boolean {
  if (!type.isClassOrInterface()) return false;
  return (checker.getBaseTypes(type) ?? []).some((base) => {
    const sym = base.getSymbol();
    const file = sym?.declarations?.[0]?.getSourceFile().fileName ?? "";
    const names = name === "Resource" ? ["Resource", "CustomResource", "ComponentResource"] : ["ComponentResource"];
    return (!!sym && names.includes(sym.name) && /resource\.d?\.?ts$/.test(file)) || extendsNamed(checker, base, name);
  });
}

function packageOf(file: string): string {
  const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
  return m ? m[1].replace(/\\/g, "/") : "this repository";
}

function show(checker: ts.TypeChecker, type: ts.Type): string {
  const text = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope);
  return text.length > 60 ? `\`${text.slice(0, 57)}...\`` : `\`${text}\``;
}
