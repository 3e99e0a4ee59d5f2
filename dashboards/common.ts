import * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DashboardCursorSync,
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dashboard as DashboardJson, Panel, RowPanel, ValueMapping } from "@grafana/grafana-foundation-sdk/dashboard";
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/**
 * Shared defaults of every dashboard the stack ships: datasource references, time range, panel
 * factories and query helpers. A dashboard module only says which panels it has.
 */

/**
 * Datasource uids the GrafanaStack provisions. Stable on purpose: dashboards reference
 * datasources by uid, so renaming a datasource in Grafana never breaks a panel.
 */
export const DATASOURCE_UIDS = {
  prometheus: "prometheus",
  loki: "loki",
  traces: "traces",
  alertmanager: "alertmanager",
  opensearch: "opensearch",
} as const;

export type DatasourceKind = keyof typeof DATASOURCE_UIDS;

/** Every uid a dashboard may reference, sorted (used in error messages). */
export const VALID_DATASOURCE_UIDS: readonly string[] = Object.values(DATASOURCE_UIDS).sort();

/** Datasource references by uid, with the plugin type Grafana needs to pick the query editor. */
export const datasources = {
  prometheus: { uid: DATASOURCE_UIDS.prometheus, type: "prometheus" },
  loki: { uid: DATASOURCE_UIDS.loki, type: "loki" },
  // No type: the traces datasource is Tempo or Jaeger depending on config; Grafana resolves the uid.
  traces: { uid: DATASOURCE_UIDS.traces },
  alertmanager: { uid: DATASOURCE_UIDS.alertmanager, type: "alertmanager" },
  opensearch: { uid: DATASOURCE_UIDS.opensearch, type: "grafana-opensearch-datasource" },
} satisfies Record<DatasourceKind, common.DataSourceRef>;

/** Grafana folder of each area; the GrafanaStack creates one folder per value. */
export const FOLDERS = {
  infrastructure: "Infrastructure",
  applications: "Applications",
  databases: "Databases",
  observability: "Observability stack",
  examples: "Examples",
} as const;

/** Tag on every dashboard the stack ships, so users can tell them from their own. */
export const STACK_TAG = "pulumi-observability";

export const DEFAULT_TIME = { from: "now-6h", to: "now" } as const;
export const DEFAULT_REFRESH = "1m";

/** A dashboard the stack ships or loads: its stable uid, where it goes, and how to render it. */
export interface Dashboard {
  /** Stable uid: links, bookmarks and provisioning depend on it never changing. */
  uid: string;
  title: string;
  /** Grafana folder title (one of `FOLDERS` for built-in dashboards). */
  folder: string;
  /** The dashboard JSON Grafana receives. */
  build(): DashboardModel;
}

// ---------------------------------------------------------------------------------------------
// The dashboard JSON model, as this package's public types describe it.
//
// `Dashboard` reaches the package's public declarations (`GrafanaStack.dashboardPlan`), so it and
// everything it names are written here without the Grafana foundation SDK: the SDK publishes its
// types only under package.json `exports` subpaths (`@grafana/grafana-foundation-sdk/dashboard`),
// which a consumer compiling with `moduleResolution: node` (node10) cannot resolve (TS2307 with
// `skipLibCheck: false`). The SDK's `Dashboard` is assignable to `DashboardModel`, and so is the
// plain JSON a user's dashboard file holds. The builder helpers further down are tagged internal:
// the build (`stripInternal`) leaves them, and their SDK imports, out of dist/dashboards/common.d.ts.
// (`stripInternal` drops any declaration whose leading comments contain the tag, even mid-sentence:
// name it only on the declarations to strip.)

/** A datasource reference: the datasource's uid, and its plugin type where the panel names it. */
export interface DatasourceRefModel {
  uid?: string;
  type?: string;
}

/**
 * A panel in a dashboard's JSON model. A row (`type: "row"`) holds its panels in `panels` while
 * collapsed. Queries (`targets`) are objects whose fields depend on the datasource (`expr` for
 * Prometheus and Loki, `query` for TraceQL...). Fields not listed pass through as Grafana has them.
 */
export interface PanelModel {
  /** The panel plugin: `timeseries`, `stat`, `table`, `logs`, `row`... */
  type: string;
  /** Unique in its dashboard; the stack numbers built-in panels 1..n. */
  id?: number;
  title?: string;
  description?: string;
  datasource?: DatasourceRefModel;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: object[];
  panels?: PanelModel[];
}

/** A dashboard variable (`$instance`, `$service`...). */
export interface VariableModel {
  /** `query`, `custom`, `textbox`, `datasource`... */
  type: string;
  name: string;
  label?: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: DatasourceRefModel;
}

/**
 * A dashboard's JSON model, what `Dashboard.build()` returns: built by the foundation SDK for the
 * built-in dashboards, or read from the user's dashboard file (checked for a uid and its
 * datasources only). Fields not listed (`annotations`, `links`...) pass through as Grafana has them.
 */
export interface DashboardModel {
  uid?: string;
  title?: string;
  description?: string;
  tags?: string[];
  time?: { from: string; to: string };
  refresh?: string;
  schemaVersion?: number;
  panels?: PanelModel[];
  templating?: { list?: VariableModel[] };
}

/** A dashboard with the shared defaults: uid, tags, time range, refresh, shared crosshair. @internal */
export function newDashboard(uid: string, title: string, tags: string[]): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .tags([STACK_TAG, ...tags])
    .time(DEFAULT_TIME)
    .refresh(DEFAULT_REFRESH)
    .timezone("browser")
    .tooltip(DashboardCursorSync.Crosshair)
    .editable();
}

/**
 * Builds a dashboard as plain JSON data and numbers its panels 1..n in order. The SDK leaves panel
 * ids unset (rows get 0), and Grafana needs unique ids for links to a panel and for repeat rows;
 * its objects also carry marker methods (`_implementsDataqueryVariant`) that are not data.
 * @internal
 */
export function buildDashboard(builder: DashboardBuilder): DashboardJson {
  const json = JSON.parse(JSON.stringify(builder.build())) as DashboardJson;
  let next = 1;
  for (const panel of json.panels ?? []) {
    (panel as Panel | RowPanel).id = next++;
    for (const inner of (panel as RowPanel).panels ?? []) inner.id = next++;
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// Queries

/** A PromQL target on the stack's Prometheus. `legend` is a Grafana legend format (`{{instance}}`). @internal */
export function promQuery(expr: string, legend?: string, opts: { instant?: boolean; table?: boolean } = {}): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder().datasource(datasources.prometheus).expr(expr);
  if (legend !== undefined) q.legendFormat(legend);
  if (opts.instant || opts.table) q.instant();
  else q.range();
  if (opts.table) q.format(prometheus.PromQueryFormat.Table);
  return q;
}

/** A LogQL target on the stack's Loki. @internal */
export function lokiQuery(expr: string, legend?: string): loki.DataqueryBuilder {
  const q = new loki.DataqueryBuilder().datasource(datasources.loki).expr(expr);
  if (legend !== undefined) q.legendFormat(legend);
  return q;
}

/** A target given as plain JSON, for datasources the SDK has no builder for (Jaeger). @internal */
export function rawQuery(target: Record<string, unknown> & { datasource: common.DataSourceRef }): cog.Builder<cog.Dataquery> {
  return { build: () => ({ ...target }) as unknown as cog.Dataquery };
}

/** Gives each target of a panel a refId A, B, C... in order, so the JSON is deterministic. */
function withRefIds<Q extends { refId(id: string): unknown }>(queries: Q[]): Q[] {
  queries.forEach((q, i) => q.refId(String.fromCharCode(65 + i)));
  return queries;
}

// ---------------------------------------------------------------------------------------------
// Panels

/** Panel size on the 24-column grid. Default: half the width, 8 rows high. @internal */
export interface Size {
  w?: number;
  h?: number;
}

/** @internal */
export interface TimeseriesOptions extends Size {
  title: string;
  /** Grafana unit id: `percentunit`, `bytes`, `Bps`, `s`, `reqps`, `short`... */
  unit: string;
  queries: Array<prometheus.DataqueryBuilder | loki.DataqueryBuilder>;
  description?: string;
  min?: number;
  max?: number;
  /** Stack the series (for parts of a whole, like CPU modes). */
  stack?: boolean;
  /** Bars instead of lines (for counts per interval, like log lines). */
  bars?: boolean;
}

/** A time series with a table legend showing mean and max: the numbers one reads first. @internal */
export function timeseriesPanel(o: TimeseriesOptions): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(o.title)
    .unit(o.unit)
    .span(o.w ?? 12)
    .height(o.h ?? 8)
    .fillOpacity(o.stack ? 60 : 10)
    .lineWidth(1)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(["mean", "max"]),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .targets(withRefIds(o.queries));
  const ds = o.queries.length > 0 && o.queries[0] instanceof loki.DataqueryBuilder ? datasources.loki : datasources.prometheus;
  p.datasource(ds);
  if (o.description !== undefined) p.description(o.description);
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  if (o.stack) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (o.bars) p.drawStyle(common.GraphDrawStyle.Bars);
  return p;
}

/** A threshold step: from `value` up (null: from minus infinity), shown in `color`. @internal */
export interface Step {
  value: number | null;
  color: string;
}

/** Green below the first threshold; the usual "good until" shape. @internal */
export function thresholds(...steps: Step[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** Value mappings for a 0/1 gauge: 0 shown red as `zero`, 1 green as `one`. @internal */
export function binaryMappings(zero: string, one: string): ValueMapping[] {
  return [{ type: MappingType.ValueToText, options: { "0": { text: zero, color: "red" }, "1": { text: one, color: "green" } } }];
}

/** Value mappings for `up`, `pg_up`, `probe_success`... @internal */
export const UP_DOWN_MAPPINGS: ValueMapping[] = binaryMappings("DOWN", "UP");

/** @internal */
export interface StatOptions extends Size {
  title: string;
  unit: string;
  query: prometheus.DataqueryBuilder;
  /** Threshold steps; default all green. */
  steps?: Step[];
  mappings?: ValueMapping[];
  description?: string;
  /** Reducer of the series: `lastNotNull` (default), `mean`, `max`... */
  calc?: string;
}

/** One big number, coloured by thresholds, with a sparkline. @internal */
export function statPanel(o: StatOptions): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(o.title)
    .unit(o.unit)
    .span(o.w ?? 6)
    .height(o.h ?? 4)
    .datasource(datasources.prometheus)
    .targets(withRefIds([o.query]))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs([o.calc ?? "lastNotNull"]).values(false))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.Area)
    .thresholds(thresholds(...(o.steps ?? [{ value: null, color: "green" }])));
  if (o.mappings !== undefined) p.mappings(o.mappings);
  if (o.description !== undefined) p.description(o.description);
  return p;
}

/** @internal */
export interface TableOptions extends Size {
  title: string;
  queries: prometheus.DataqueryBuilder[];
  unit?: string;
  description?: string;
  /**
   * Title (and unit, when it differs from `unit`) of each query's value column, in query order.
   * Default: Grafana's `Value #A`, `Value #B`... in the table's unit.
   */
  columns?: Array<{ title: string; unit?: string }>;
}

/**
 * A table of instant PromQL results, one row per series: the queries must use
 * `promQuery(..., { table: true })`. The `merge` transformation joins the queries on their labels.
 * @internal
 */
export function tablePanel(o: TableOptions): table.PanelBuilder {
  const p = new table.PanelBuilder()
    .title(o.title)
    .span(o.w ?? 24)
    .height(o.h ?? 8)
    .datasource(datasources.prometheus)
    .targets(withRefIds(o.queries))
    .withTransformation({ id: "merge", options: {} });
  // Merged instant queries name their value columns `Value #<refId>`; refIds are A, B, C... in order.
  const columnOf = (i: number) => `Value #${String.fromCharCode(65 + i)}`;
  const renameByName = Object.fromEntries((o.columns ?? []).map((c, i) => [columnOf(i), c.title]));
  p.withTransformation({ id: "organize", options: { excludeByName: { Time: true }, ...(o.columns ? { renameByName } : {}) } });
  // Overrides match the displayed (renamed) column name.
  for (const c of o.columns ?? []) if (c.unit !== undefined) p.overrideByName(c.title, [{ id: "unit", value: c.unit }]);
  if (o.unit !== undefined) p.unit(o.unit);
  if (o.description !== undefined) p.description(o.description);
  return p;
}

/** A logs panel on the stack's Loki, newest first. @internal */
export function logsPanel(o: Size & { title: string; query: loki.DataqueryBuilder }): logs.PanelBuilder {
  return new logs.PanelBuilder()
    .title(o.title)
    .span(o.w ?? 24)
    .height(o.h ?? 12)
    .datasource(datasources.loki)
    .targets(withRefIds([o.query]))
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending);
}

// ---------------------------------------------------------------------------------------------
// Variables

/** @internal */
export interface VariableOptions {
  label?: string;
  /** Several values at once; queries must then use `=~"$name"`. Default true. */
  multi?: boolean;
  /** Offer "All" (regex `.+`). Default true. */
  includeAll?: boolean;
}

/** A variable filled from a Prometheus `label_values(selector, label)` query. @internal */
export function promVariable(name: string, query: string, o: VariableOptions = {}): QueryVariableBuilder {
  return queryVariable(name, query, datasources.prometheus, o);
}

/** A variable filled from Loki label values (`label_values(label)`). @internal */
export function lokiVariable(name: string, label: string, o: VariableOptions = {}): QueryVariableBuilder {
  return queryVariable(name, `label_values(${label})`, datasources.loki, o);
}

function queryVariable(name: string, query: string, ds: common.DataSourceRef, o: VariableOptions): QueryVariableBuilder {
  const v = new QueryVariableBuilder(name)
    .label(o.label ?? name)
    .query(query)
    .definition(query)
    .datasource(ds)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(o.multi ?? true)
    .includeAll(o.includeAll ?? true);
  // "All" as `.+` rather than a list of every value: short queries, and new series show up.
  if (o.includeAll ?? true) v.allValue(".+");
  return v;
}
