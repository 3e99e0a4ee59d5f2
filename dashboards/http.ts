import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { defaultThresholds } from "../components/render/rules";
import { Dashboard, FOLDERS, buildDashboard, newDashboard, promQuery as q, promVariable, statPanel, timeseriesPanel } from "./common";

/**
 * RED (rate, errors, duration) of HTTP services instrumented with the usual client-library
 * metrics `http_requests_total` and `http_request_duration_seconds` (prom-client, express-prom-bundle).
 * A service is a scrape `job`: every instrumented service has one, whatever its own labels are.
 */

/**
 * Label carrying the HTTP status on `http_requests_total`: the SLO rules' default
 * (`defaultThresholds.httpStatusLabel`), so the dashboard and the burn-rate alerts count the same errors.
 */
export const STATUS_LABEL = defaultThresholds.httpStatusLabel;

const sel = `job=~"$service"`;
const rate = (matchers: string) => `sum by (job) (rate(http_requests_total{${matchers}}[$__rate_interval]))`;
const quantile = (q: number, by: string) =>
  `histogram_quantile(${q}, sum by (${by}le) (rate(http_request_duration_seconds_bucket{${sel}}[$__rate_interval])))`;

export const http: Dashboard = {
  uid: "obs-http-red",
  title: "HTTP services (RED)",
  folder: FOLDERS.applications,
  build: () =>
    buildDashboard(
      newDashboard(http.uid, http.title, ["applications", "red"])
        .description("Request rate, error ratio and latency of every service exporting http_requests_total.")
        .withVariable(promVariable("service", "label_values(http_requests_total, job)"))
        .withRow(new RowBuilder("Summary"))
        .withPanel(statPanel({ title: "Requests", unit: "reqps", query: q(`sum(rate(http_requests_total{${sel}}[$__rate_interval]))`) }))
        .withPanel(
          statPanel({
            title: "Errors (5xx)",
            unit: "percentunit",
            query: q(`sum(rate(http_requests_total{${sel}, ${STATUS_LABEL}=~"5.."}[$__rate_interval])) / sum(rate(http_requests_total{${sel}}[$__rate_interval]))`),
            steps: [{ value: null, color: "green" }, { value: 0.01, color: "orange" }, { value: 0.05, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "p95 latency",
            unit: "s",
            query: q(quantile(0.95, "")),
            steps: [{ value: null, color: "green" }, { value: 0.5, color: "orange" }, { value: 2, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "p99 latency",
            unit: "s",
            query: q(quantile(0.99, "")),
            steps: [{ value: null, color: "green" }, { value: 1, color: "orange" }, { value: 5, color: "red" }],
          }),
        )
        .withRow(new RowBuilder("Rate and errors"))
        .withPanel(timeseriesPanel({ title: "Request rate", unit: "reqps", queries: [q(rate(sel), "{{job}}")] }))
        .withPanel(
          timeseriesPanel({
            title: "Error ratio (5xx)",
            unit: "percentunit",
            min: 0,
            queries: [q(`${rate(`${sel}, ${STATUS_LABEL}=~"5.."`)} / ${rate(sel)}`, "{{job}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Requests by status",
            unit: "reqps",
            stack: true,
            queries: [q(`sum by (${STATUS_LABEL}) (rate(http_requests_total{${sel}}[$__rate_interval]))`, `{{${STATUS_LABEL}}}`)],
          }),
        )
        .withRow(new RowBuilder("Duration"))
        .withPanel(
          timeseriesPanel({
            title: "Latency p50 / p95 / p99",
            unit: "s",
            queries: [q(quantile(0.5, "job, "), "p50 {{job}}"), q(quantile(0.95, "job, "), "p95 {{job}}"), q(quantile(0.99, "job, "), "p99 {{job}}")],
          }),
        ),
    ),
};
