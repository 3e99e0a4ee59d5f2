import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { defaultThresholds } from "../components/rules/rule-files";
import { RED_WINDOW, type HttpQuantile } from "../components/rules/http-rules";
import { Dashboard, FOLDERS, buildDashboard, newDashboard, promQuery as q, promVariable, statPanel, timeseriesPanel } from "./common";

/**
 * RED (rate, errors, duration) of HTTP services instrumented with the usual client-library
 * metrics `http_requests_total` and `http_request_duration_seconds` (prom-client, express-prom-bundle).
 * A service is its `service` label, which every monitored service carries however it is found
 * (static targets, a Kubernetes selector, Docker labels, pod annotations: `SERVICE_LABEL` in
 * components/metrics/prometheus-config.ts), the label the SLO alerts and runbooks name it by. Not its
 * `job`: every service found by discovery shares the job `discovered`.
 */

/**
 * Label carrying the HTTP status on `http_requests_total`: the SLO rules' default
 * (`defaultThresholds.httpStatusLabel`), so the dashboard and the burn-rate alerts count the same errors.
 */
export const STATUS_LABEL = defaultThresholds.httpStatusLabel;

const sel = `service=~"$service"`;

/**
 * Per-service panels draw at most this many services: the busiest, slowest or most failing of the
 * selection at each point in time. A day of 50 services is 50 series of 1440 points per query,
 * hundreds of milliseconds to send and draw even from recorded series, and no one reads 50 lines;
 * up to this many selected services, the panels show every one of them.
 */
export const TOP_SERVICES = 10;

/** Said on every panel: recorded series have a fixed window, unlike `$__rate_interval`. */
const RECORDED = "From the per-service recording rules of rules/http-red.yml and rules/http-slo.yml, evaluated with a fixed 5-minute rate window (Grafana's $__rate_interval cannot be used in a rule).";
const TOP = `Shows the ${TOP_SERVICES} services that rank highest at each point in time when more are selected.`;

/** The recorded series the panels read, all per `service` at the one window `RED_WINDOW`. */
const REQUESTS = `service:http_requests:rate${RED_WINDOW}`;
const ERRORS = `service:http_errors:ratio_rate${RED_WINDOW}`;
const BY_STATUS = `service_${STATUS_LABEL}:http_requests:rate${RED_WINDOW}`;
const QUANTILES = "service_quantile:http_request_duration_seconds:histogram_quantile";

const requests = `${REQUESTS}{${sel}}`;
/** Each selected service's own latency quantile `q`, recorded from its buckets: only the recorded quantiles type-check. */
const perService = (q: HttpQuantile) => `${QUANTILES}{${sel}, quantile="${q}"}`;
/**
 * The slowest selected service's quantile `q` at each point in time; with one selected, its own.
 * Not the quantile of all their requests together: that is a histogram_quantile over every bucket of
 * every service at each step, over 200 ms for a day of 50 services (bench/dashboards.ts), while the
 * recorded per-service quantiles are one series per service.
 */
const slowest = (q: HttpQuantile) => `max(${perService(q)})`;
/** Says what a "slowest service" panel shows, for quantile `p` (`p95`). */
const SLOWEST = (p: string) =>
  `The highest ${p} among the selected services, each service's ${p} computed from its own requests; with one service selected, that service's ${p}. ` +
  `Not the ${p} of all their requests pooled: a slow service shows here even when busier fast ones would hide it there.`;

export const http: Dashboard = {
  uid: "obs-http-red",
  title: "HTTP services (RED)",
  folder: FOLDERS.applications,
  build: () =>
    buildDashboard(
      newDashboard(http.uid, http.title, ["applications", "red"])
        .description("Request rate, error ratio and latency of every service exporting http_requests_total.")
        // The services with a recorded request rate: one series each, not every raw series of every instance.
        .withVariable(promVariable("service", `label_values(${REQUESTS}, service)`))
        .withRow(new RowBuilder("Summary"))
        .withPanel(statPanel({ title: "Requests", unit: "reqps", description: RECORDED, query: q(`sum(${requests})`) }))
        .withPanel(
          statPanel({
            title: "Errors (5xx)",
            unit: "percentunit",
            description: RECORDED,
            // No 5xx series at all is 0%, not "no data".
            query: q(`(sum(${BY_STATUS}{${sel}, ${STATUS_LABEL}=~"5.."}) or vector(0)) / sum(${requests})`),
            steps: [{ value: null, color: "green" }, { value: 0.01, color: "orange" }, { value: 0.05, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "p95 latency, slowest service",
            unit: "s",
            description: `${SLOWEST("p95")} ${RECORDED}`,
            query: q(slowest(0.95)),
            steps: [{ value: null, color: "green" }, { value: 0.5, color: "orange" }, { value: 2, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "p99 latency, slowest service",
            unit: "s",
            description: `${SLOWEST("p99")} ${RECORDED}`,
            query: q(slowest(0.99)),
            steps: [{ value: null, color: "green" }, { value: 1, color: "orange" }, { value: 5, color: "red" }],
          }),
        )
        .withRow(new RowBuilder("Rate and errors"))
        .withPanel(
          timeseriesPanel({
            title: "Request rate",
            unit: "reqps",
            description: `${TOP} ${RECORDED}`,
            queries: [q(`topk(${TOP_SERVICES}, ${requests})`, "{{service}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Error ratio (5xx)",
            unit: "percentunit",
            min: 0,
            description: `${TOP} ${RECORDED}`,
            queries: [q(`topk(${TOP_SERVICES}, ${ERRORS}{${sel}})`, "{{service}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Requests by status",
            unit: "reqps",
            stack: true,
            description: RECORDED,
            queries: [q(`sum by (${STATUS_LABEL}) (${BY_STATUS}{${sel}})`, `{{${STATUS_LABEL}}}`)],
          }),
        )
        .withRow(new RowBuilder("Duration"))
        .withPanel(
          timeseriesPanel({
            title: "Latency p50 / p95 / p99, slowest service",
            unit: "s",
            description:
              "At each point in time, the highest p50, p95 and p99 among the selected services, each computed from a service's own requests: " +
              "the three lines may be different services. With one service selected, that service's quantiles; the panel p99 latency by service shows each service's own. " +
              RECORDED,
            queries: [q(slowest(0.5), "p50"), q(slowest(0.95), "p95"), q(slowest(0.99), "p99")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "p99 latency by service",
            unit: "s",
            description: `${TOP} ${RECORDED}`,
            queries: [q(`topk(${TOP_SERVICES}, ${perService(0.99)})`, "{{service}}")],
          }),
        ),
    ),
};
