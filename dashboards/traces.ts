import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import * as nodegraph from "@grafana/grafana-foundation-sdk/nodegraph";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as tempo from "@grafana/grafana-foundation-sdk/tempo";
import { Dashboard, FOLDERS, buildDashboard, datasources, newDashboard, promQuery as q, promVariable, rawQuery, timeseriesPanel } from "./common";

/**
 * Traces: the service map and recent traces from the traces datasource (Tempo or Jaeger, same uid),
 * and RED from the OTel collector's spanmetrics connector.
 *
 * Assumption: the collector's spanmetrics connector keeps its default namespace
 * `traces.span.metrics` and is configured with `histogram.unit: s`, so Prometheus sees
 * `traces_span_metrics_calls_total` and `traces_span_metrics_duration_seconds_bucket`
 * (with the connector's default `ms` unit the histogram would be `..._duration_milliseconds_bucket`).
 * Its dimensions `service.name`, `span.name`, `status.code` arrive as `service_name`, `span_name`, `status_code`.
 */

export type TracesBackend = "tempo" | "jaeger";

const sel = `service_name=~"$service"`;
const calls = (extra = "") => `sum by (service_name) (rate(traces_span_metrics_calls_total{${sel}${extra}}[$__rate_interval]))`;
const quantile = (x: number) =>
  `histogram_quantile(${x}, sum by (service_name, le) (rate(traces_span_metrics_duration_seconds_bucket{${sel}}[$__rate_interval])))`;

/** The two queries that differ between backends: service map and trace search. */
function backendQueries(backend: TracesBackend) {
  // The plugin type tells Grafana (and our validator) which query editor the target belongs to.
  const ds = { ...datasources.traces, type: backend };
  if (backend === "tempo") {
    return {
      // Tempo builds the map from the service-graph metrics in the Prometheus it is linked to.
      serviceMap: new tempo.DataqueryBuilder().refId("A").datasource(ds).queryType("serviceMap"),
      search: new tempo.DataqueryBuilder()
        .refId("A")
        .datasource(ds)
        .queryType("traceql")
        .query(`{ resource.service.name =~ "$service" }`)
        .limit(20),
    };
  }
  // The SDK has no Jaeger builder; these are the Jaeger datasource's own query fields.
  return {
    serviceMap: rawQuery({ refId: "A", datasource: ds, queryType: "dependencyGraph" }),
    search: rawQuery({ refId: "A", datasource: ds, queryType: "search", service: "$service", limit: 20 }),
  };
}

/** The traces dashboard for one backend; the uid is the same for both. */
export function tracesDashboard(backend: TracesBackend = "tempo"): Dashboard {
  const d: Dashboard = {
    uid: "obs-traces",
    title: "Traces and service map",
    folder: FOLDERS.observability,
    build: () => {
      const b = backendQueries(backend);
      const ds = { ...datasources.traces, type: backend };
      return buildDashboard(
        newDashboard(d.uid, d.title, ["traces", backend])
          .description("Service map, recent traces and span-metrics RED of every traced service.")
          // `service` is single-valued: the trace search takes one service name, not a regex.
          .withVariable(promVariable("service", "label_values(traces_span_metrics_calls_total, service_name)", { multi: false, includeAll: false }))
          .withRow(new RowBuilder("Service map and traces"))
          .withPanel(new nodegraph.PanelBuilder().title("Service map").span(12).height(12).datasource(ds).withTarget(b.serviceMap))
          .withPanel(new table.PanelBuilder().title("Recent traces").span(12).height(12).datasource(ds).withTarget(b.search))
          .withRow(new RowBuilder("Span metrics (RED)"))
          .withPanel(timeseriesPanel({ title: "Span rate", unit: "reqps", w: 8, queries: [q(calls(), "{{service_name}}")] }))
          .withPanel(
            timeseriesPanel({
              title: "Error ratio",
              unit: "percentunit",
              w: 8,
              queries: [q(`${calls(`, status_code="STATUS_CODE_ERROR"`)} / ${calls()}`, "{{service_name}}")],
            }),
          )
          .withPanel(
            timeseriesPanel({
              title: "Duration p50 / p95 / p99",
              unit: "s",
              w: 8,
              queries: [q(quantile(0.5), "p50 {{service_name}}"), q(quantile(0.95), "p95 {{service_name}}"), q(quantile(0.99), "p99 {{service_name}}")],
            }),
          ),
      );
    },
  };
  return d;
}

/** The traces dashboard for Tempo, the default backend. */
export const traces: Dashboard = tracesDashboard("tempo");
