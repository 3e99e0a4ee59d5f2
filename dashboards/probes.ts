import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, buildDashboard, newDashboard, promQuery as q, promVariable, tablePanel, timeseriesPanel } from "./common";

/**
 * Uptime checks from blackbox-exporter, per probed `instance` (the target URL or host:port the
 * scrape config relabels into `instance`).
 */

const sel = `instance=~"$instance"`;

/**
 * Per-target time series draw at most this many targets: the slowest, or the soonest to expire, at
 * each point in time. A day of 50 targets is 50 series of 1440 points per query, hundreds of
 * milliseconds to send and draw whatever computes them; up to this many selected targets, the
 * panels show every one of them. The Targets table still lists every target.
 */
export const TOP_TARGETS = 10;
const TOP = `Shows the ${TOP_TARGETS} highest-ranking targets at each point in time when more are selected.`;

export const probes: Dashboard = {
  uid: "obs-probes",
  title: "Uptime and probes (blackbox)",
  folder: FOLDERS.infrastructure,
  build: () =>
    buildDashboard(
      newDashboard(probes.uid, probes.title, ["infrastructure", "blackbox"])
        .description("Availability, latency, HTTP status and certificate expiry of every probed endpoint.")
        .withVariable(promVariable("instance", "label_values(probe_success, instance)", { label: "target" }))
        .withRow(new RowBuilder("Availability"))
        .withPanel(
          tablePanel({
            title: "Targets",
            unit: "short",
            queries: [
              q(`probe_success{${sel}}`, "up", { table: true }),
              q(`avg_over_time(probe_success{${sel}}[$__range])`, "availability", { table: true }),
              q(`probe_http_status_code{${sel}}`, "HTTP status", { table: true }),
              q(`(probe_ssl_earliest_cert_expiry{${sel}} - time()) / 86400`, "cert days left", { table: true }),
            ],
          }),
        )
        .withPanel(timeseriesPanel({ title: "Probe success", unit: "short", min: 0, max: 1, queries: [q(`probe_success{${sel}}`, "{{instance}}")] }))
        .withPanel(
          timeseriesPanel({
            title: "Probe duration",
            unit: "s",
            description: `The slowest targets, each as its 5-minute mean (the mean ProbeSlow alerts on), from the recording rule of rules/blackbox.yml: a fixed 5-minute window, as Grafana's $__rate_interval cannot be used in a rule. ${TOP}`,
            queries: [q(`topk(${TOP_TARGETS}, instance:probe_duration_seconds:avg_over_time5m{${sel}})`, "{{instance}}")],
          }),
        )
        .withRow(new RowBuilder("HTTP"))
        .withPanel(
          timeseriesPanel({
            title: "HTTP phases",
            unit: "s",
            stack: true,
            description: "Where a probe spends its time: resolve, connect, tls, processing, transfer. The mean over the selected targets: select one target (the slow one in Probe duration) to see its own phases.",
            queries: [q(`avg by (phase) (probe_http_duration_seconds{${sel}})`, "{{phase}}")],
          }),
        )
        .withPanel(timeseriesPanel({ title: "HTTP status code", unit: "none", queries: [q(`probe_http_status_code{${sel}}`, "{{instance}}")] }))
        .withRow(new RowBuilder("TLS"))
        .withPanel(
          timeseriesPanel({
            title: "TLS certificate expiry",
            unit: "d",
            description: `Days until the earliest certificate of the chain expires, soonest first. ${TOP.replace("highest-ranking", "soonest-expiring")}`,
            // Ranked on the raw expiry time, then converted to days: the same targets and values
            // (the conversion keeps the order), but arithmetic on 10 series per step, not on every target.
            queries: [q(`(bottomk(${TOP_TARGETS}, probe_ssl_earliest_cert_expiry{${sel}}) - time()) / 86400`, "{{instance}}")],
          }),
        ),
    ),
};
