/**
 * Checks of a dashboard's JSON before anything is pushed to Grafana: every query parses with the
 * upstream grammar, every datasource reference resolves to one the stack provisions, and the
 * metric names it uses can be listed. Pure: JSON in, findings out.
 *
 * Parsing reuses `components/shared/` (PromQL, LogQL and TraceQL with the upstream Lezer
 * grammars); this module adds what is specific to dashboards: finding the queries in panels,
 * rows, targets, variables and annotations, and substituting Grafana's template variables first.
 */
import { parser as promqlParser } from "@prometheus-io/lezer-promql";
import { validateLogQL } from "../components/shared/logql";
import { extractMetricNames, parsePromQL } from "../components/shared/promql";
import { validateTraceQL } from "../components/shared/traceql";
import { VALID_DATASOURCE_UIDS } from "./common";

export type QueryLanguage = "promql" | "logql" | "traceql";

/** One query found in a dashboard. */
export interface DashboardQuery {
  /** Where it is, for messages: `panel "CPU" query A`, `variable "instance"`, `annotation "Deploys"`. */
  location: string;
  /** The query text as stored (template variables not substituted). */
  expr: string;
  language: QueryLanguage;
}

/** One datasource reference found in a dashboard. */
export interface DatasourceUse {
  /** `panel "CPU"`, `panel "CPU" query B`, `variable "instance"`, `annotation "Deploys"`. */
  location: string;
  uid: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Uids Grafana itself provides: the built-in annotations/"-- Grafana --", mixed and dashboard datasources. */
const GRAFANA_BUILTIN_UIDS = new Set(["grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"]);

/** Sample values of Grafana's built-in variables: any valid duration or number parses. */
const BUILTIN_SAMPLES: Record<string, string> = {
  __rate_interval: "5m",
  __interval: "1m",
  __auto: "1m",
  __range: "1h",
  __rate_interval_ms: "300000",
  __interval_ms: "60000",
  __range_ms: "3600000",
  __range_s: "3600",
};

// ---------------------------------------------------------------------------------------------
// Walking the dashboard

interface PanelVisit {
  panel: Json;
  title: string;
}

/** Every panel, including those inside collapsed rows (which keep their panels nested). */
function panels(dashboard: unknown): PanelVisit[] {
  const out: PanelVisit[] = [];
  const visit = (list: unknown[]) => {
    for (const p of list) {
      if (!isObject(p)) continue;
      out.push({ panel: p, title: str(p.title) ?? `#${String(p.id ?? "?")}` });
      visit(asArray(p.panels));
    }
  };
  if (isObject(dashboard)) visit(asArray(dashboard.panels));
  return out;
}

function variables(dashboard: unknown): Json[] {
  if (!isObject(dashboard) || !isObject(dashboard.templating)) return [];
  return asArray(dashboard.templating.list).filter(isObject);
}

function annotations(dashboard: unknown): Json[] {
  if (!isObject(dashboard) || !isObject(dashboard.annotations)) return [];
  return asArray(dashboard.annotations.list).filter(isObject);
}

/** Names of the dashboard's template variables, in order. */
export function variableNames(dashboard: unknown): string[] {
  return variables(dashboard)
    .map((v) => str(v.name))
    .filter((n): n is string => n !== undefined);
}

/** A datasource field as a uid: `{uid}` objects, legacy name/uid strings; null/absent is the default datasource. */
function refUid(ref: unknown): string | undefined {
  if (typeof ref === "string") return ref;
  if (isObject(ref)) return str(ref.uid);
  return undefined;
}

function refType(ref: unknown): string | undefined {
  return isObject(ref) ? str(ref.type) : undefined;
}

/** The variable a `$ds` / `${ds}` uid points at, if the uid is one. */
function variableRef(uid: string): string | undefined {
  return /^\$\{?(\w+)\}?$/.exec(uid)?.[1];
}

/** Plugin type a datasource reference resolves to, following a datasource variable. */
function datasourceType(ref: unknown, dashboard: unknown): string | undefined {
  const type = refType(ref);
  if (type !== undefined) return type;
  const uid = refUid(ref);
  if (uid === undefined) return undefined;
  const viaVariable = variableRef(uid);
  if (viaVariable !== undefined) {
    const v = variables(dashboard).find((x) => x.name === viaVariable && x.type === "datasource");
    return v ? str(v.query) : undefined;
  }
  // Without a type, our own uids say which plugin they are; the traces uid is Tempo or Jaeger.
  return ({ prometheus: "prometheus", loki: "loki" } as Record<string, string>)[uid];
}

/** The language of a target, or undefined when it holds no text query (service map, Jaeger search). */
function targetQuery(target: Json, type: string | undefined): { expr: string; language: QueryLanguage } | undefined {
  const expr = str(target.expr);
  if (type === "prometheus" && expr !== undefined) return { expr, language: "promql" };
  if (type === "loki" && expr !== undefined) return { expr, language: "logql" };
  const query = str(target.query);
  // A traces target without a plugin type (a user's JSON) is still TraceQL when it says so.
  if ((type === "tempo" || type === undefined) && target.queryType === "traceql" && query !== undefined) return { expr: query, language: "traceql" };
  return undefined;
}

/**
 * The query inside a variable definition. Grafana's variable functions are not PromQL:
 * `label_values(<selector>, label)` and `query_result(<expr>)` hold one, `label_values(label)`,
 * `label_names()` and `metrics(regex)` hold none.
 */
function variableQuery(v: Json, type: string | undefined): { expr: string; language: QueryLanguage } | undefined {
  const raw = isObject(v.query) ? str(v.query.query) : str(v.query);
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (type === "prometheus") {
    const labelValues = /^label_values\(\s*([\s\S]+),\s*\w+\s*\)$/.exec(text);
    if (labelValues) return { expr: labelValues[1], language: "promql" };
    const queryResult = /^query_result\(([\s\S]+)\)$/.exec(text);
    if (queryResult) return { expr: queryResult[1], language: "promql" };
    if (/^(label_values\(\s*\w+\s*\)|label_names\([\s\S]*\)|metrics\([\s\S]*\))$/.test(text)) return undefined;
    return { expr: text, language: "promql" };
  }
  if (type === "loki") {
    const labelValues = /^label_values\(\s*(\{[\s\S]*\})\s*,\s*\w+\s*\)$/.exec(text);
    return labelValues ? { expr: labelValues[1], language: "logql" } : undefined;
  }
  return undefined;
}

/** Every PromQL, LogQL and TraceQL query of a dashboard: panel targets, variables, annotations. */
export function extractQueries(dashboard: unknown): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const { panel, title } of panels(dashboard)) {
    for (const target of asArray(panel.targets).filter(isObject)) {
      const type = datasourceType(target.datasource ?? panel.datasource, dashboard);
      const q = targetQuery(target, type);
      if (q) out.push({ location: `panel "${title}" query ${str(target.refId) ?? "?"}`, ...q });
    }
  }
  for (const v of variables(dashboard)) {
    if (v.type !== "query") continue;
    const q = variableQuery(v, datasourceType(v.datasource, dashboard));
    if (q) out.push({ location: `variable "${str(v.name) ?? "?"}"`, ...q });
  }
  for (const a of annotations(dashboard)) {
    const q = targetQuery(a, datasourceType(a.datasource, dashboard));
    if (q) out.push({ location: `annotation "${str(a.name) ?? "?"}"`, ...q });
  }
  return out;
}

/** Every datasource reference: panels, their targets, variables, annotations. */
export function datasourceReferences(dashboard: unknown): DatasourceUse[] {
  const out: DatasourceUse[] = [];
  const add = (location: string, ref: unknown) => {
    const uid = refUid(ref);
    if (uid !== undefined) out.push({ location, uid });
  };
  for (const { panel, title } of panels(dashboard)) {
    add(`panel "${title}"`, panel.datasource);
    for (const target of asArray(panel.targets).filter(isObject)) add(`panel "${title}" query ${str(target.refId) ?? "?"}`, target.datasource);
  }
  for (const v of variables(dashboard)) add(`variable "${str(v.name) ?? "?"}"`, v.datasource);
  for (const a of annotations(dashboard)) add(`annotation "${str(a.name) ?? "?"}"`, a.datasource);
  return out;
}

/**
 * One message per datasource reference the stack cannot resolve:
 * `panel "CPU" uses datasource uid "prom-old", which the stack does not have (valid uids: ...)`.
 * `$ds` references must name a datasource variable of the dashboard.
 */
export function checkDatasources(dashboard: unknown, validUids: readonly string[] = VALID_DATASOURCE_UIDS): string[] {
  const valid = new Set(validUids);
  const dsVariables = new Set(variables(dashboard).filter((v) => v.type === "datasource").map((v) => str(v.name)));
  const problems: string[] = [];
  for (const { location, uid } of datasourceReferences(dashboard)) {
    const viaVariable = variableRef(uid);
    if (viaVariable !== undefined) {
      if (!dsVariables.has(viaVariable)) problems.push(`${location} uses datasource "${uid}", but the dashboard has no datasource variable "${viaVariable}"`);
      continue;
    }
    if (valid.has(uid) || GRAFANA_BUILTIN_UIDS.has(uid)) continue;
    problems.push(`${location} uses datasource uid "${uid}", which the stack does not have (valid uids: ${[...validUids].sort().join(", ")})`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Template variables

const VARIABLE = /\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]/g;

/**
 * Replaces Grafana template variables with sample values so that the upstream grammar can parse
 * the query. Only the dashboard's own variables and Grafana's built-ins are replaced, as Grafana
 * does: `$1` in a `label_replace` replacement stays as it is. The value depends on where the
 * variable stands:
 *  - in a regex string (`=~`, `!~`, `|~`): `values[name]` or `.+`;
 *  - in any other string: `values[name]` or `sample`;
 *  - in a range or subquery step (`[$__rate_interval]`): a duration;
 *  - elsewhere: `values[name]` or an identifier.
 * Built-ins (`$__rate_interval`, `$__interval`, `$__range`...) get a sample duration or number
 * unless `values` gives one.
 */
export function substituteVariables(expr: string, names: Iterable<string>, values: Record<string, string> = {}): string {
  const known = new Set(names);
  let out = "";
  let i = 0;
  while (i < expr.length) {
    const quote = expr[i];
    if (quote === '"' || quote === "'" || quote === "`") {
      const end = closingQuote(expr, i);
      const regex = /(=~|!~|\|~)\s*$/.test(expr.slice(0, i));
      const body = expr.slice(i + 1, end);
      out += quote + body.replace(VARIABLE, (m, a, b, c) => stringValue(m, a ?? b ?? c, known, values, regex, quote)) + expr.slice(end, end + 1);
      i = end + 1;
      continue;
    }
    const next = nextQuote(expr, i);
    const code = expr.slice(i, next);
    out += code.replace(VARIABLE, (m, a, b, c, offset: number) => codeValue(m, a ?? b ?? c, known, values, out + code.slice(0, offset)));
    i = next;
  }
  return out;
}

function nextQuote(expr: string, from: number): number {
  const m = /["'`]/.exec(expr.slice(from));
  return m ? from + m.index : expr.length;
}

/** Index of the quote closing the string opened at `start` (backslash escapes, except in raw strings); end of text if unterminated. */
function closingQuote(expr: string, start: number): number {
  const quote = expr[start];
  for (let j = start + 1; j < expr.length; j++) {
    if (quote !== "`" && expr[j] === "\\") j++;
    else if (expr[j] === quote) return j;
  }
  return expr.length;
}

function escapeFor(value: string, quote: string): string {
  return quote === "`" ? value : value.replace(/\\/g, "\\\\").replace(new RegExp(quote, "g"), `\\${quote}`);
}

function stringValue(match: string, name: string, known: Set<string>, values: Record<string, string>, regex: boolean, quote: string): string {
  if (values[name] !== undefined) return escapeFor(values[name], quote);
  if (BUILTIN_SAMPLES[name] !== undefined) return BUILTIN_SAMPLES[name];
  if (!known.has(name)) return match;
  return regex ? ".+" : "sample";
}

function codeValue(match: string, name: string, known: Set<string>, values: Record<string, string>, before: string): string {
  if (values[name] !== undefined) return values[name];
  if (BUILTIN_SAMPLES[name] !== undefined) return BUILTIN_SAMPLES[name];
  if (!known.has(name)) return match;
  // `[$window]` or `[5m:$step]`: only a duration parses there.
  if (/[[:]\s*$/.test(before)) return "5m";
  return `sample_${name}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing and metric names

/** Parses one query (variables already substituted); a message naming the error, or undefined. */
export function parseQuery(expr: string, language: QueryLanguage): string | undefined {
  if (language === "promql") {
    const r = parsePromQL(expr);
    return r.ok ? undefined : `at line ${r.line}, column ${r.column}: ${r.message}`;
  }
  const r = language === "logql" ? validateLogQL(expr) : validateTraceQL(expr);
  return r.ok ? undefined : `at line ${r.line}, column ${r.column}: ${r.message}`;
}

/**
 * One message per query that does not parse once its variables are substituted:
 * `panel "CPU" query A: PromQL at line 1, column 12: unexpected ... in <substituted query>`.
 */
export function checkQueries(dashboard: unknown, values: Record<string, string> = {}): string[] {
  const names = variableNames(dashboard);
  const problems: string[] = [];
  for (const q of extractQueries(dashboard)) {
    const expr = substituteVariables(q.expr, names, values);
    const error = parseQuery(expr, q.language);
    if (error !== undefined) problems.push(`${q.location}: ${languageName[q.language]} ${error} in ${JSON.stringify(expr)}`);
  }
  return problems;
}

const languageName: Record<QueryLanguage, string> = { promql: "PromQL", logql: "LogQL", traceql: "TraceQL" };

/**
 * `__name__` regexes (`{__name__=~"otelcol_x(_total)?"}`): they name no single metric, so
 * `extractMetricNames` leaves them out, but a reader checking names against an exporter needs them.
 */
export function metricNamePatterns(expr: string): string[] {
  const out = new Set<string>();
  promqlParser.parse(expr).iterate({
    enter: (ref) => {
      const node = ref.node;
      if (node.name !== "UnquotedLabelMatcher") return;
      const label = node.getChild("LabelName");
      const op = node.getChild("MatchOp")?.firstChild;
      const value = node.getChild("StringLiteral");
      if (label && value && expr.slice(label.from, label.to) === "__name__" && op?.name === "EqlRegex") {
        out.add(`~${expr.slice(value.from + 1, value.to - 1)}`);
      }
    },
  });
  return [...out].sort();
}

/**
 * Metric names a dashboard's PromQL selects, sorted and distinct; `__name__` regexes are listed as
 * `~pattern`. Recording rules and `ALERTS` count as names.
 */
export function dashboardMetricNames(dashboard: unknown): string[] {
  const names = variableNames(dashboard);
  const out = new Set<string>();
  for (const q of extractQueries(dashboard)) {
    if (q.language !== "promql") continue;
    const expr = substituteVariables(q.expr, names);
    for (const n of extractMetricNames(expr)) out.add(n);
    for (const p of metricNamePatterns(expr)) out.add(p);
  }
  return [...out].sort();
}

/**
 * Everything wrong with one dashboard JSON: no uid, queries that do not parse, datasource
 * references the stack cannot resolve. Empty when it may be pushed.
 */
export function validateDashboard(dashboard: unknown, validUids: readonly string[] = VALID_DATASOURCE_UIDS): string[] {
  const problems: string[] = [];
  if (!isObject(dashboard)) return ["is not a JSON object"];
  if (typeof dashboard.uid !== "string" || dashboard.uid.trim() === "") problems.push(`has no "uid"`);
  return [...problems, ...checkQueries(dashboard), ...checkDatasources(dashboard, validUids)];
}

/**
 * Uids used more than once among `entries`, one message each naming every source:
 * `dashboard uid "obs-host" is used by both a.json and b.json`.
 */
export function duplicateUids(entries: Array<{ uid: string; source: string }>): string[] {
  const byUid = new Map<string, string[]>();
  for (const e of entries) byUid.set(e.uid, [...(byUid.get(e.uid) ?? []), e.source]);
  return [...byUid.entries()]
    .filter(([, sources]) => sources.length > 1)
    .map(([uid, sources]) => `dashboard uid "${uid}" is used by both ${sources.slice(0, -1).join(", ")} and ${sources[sources.length - 1]}`);
}
