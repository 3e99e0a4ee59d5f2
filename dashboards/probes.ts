import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, buildDashboard, newDashboard, promQuery as q, promVariable, tablePanel, timeseriesPanel } from "./common";

/**
 * Uptime checks from blackbox-exporter, per probed `instance` (the target URL or host:port the
 * scrape config relabels into `instance`).
 */

const sel = `instance=~"$instance"`;

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
        .withPanel(timeseriesPanel({ title: "Probe duration", unit: "s", queries: [q(`probe_duration_seconds{${sel}}`, "{{instance}}")] }))
        .withRow(new RowBuilder("HTTP"))
        .withPanel(
          timeseriesPanel({
            title: "HTTP phases",
            unit: "s",
            stack: true,
            description: "Where a slow probe spends its time: resolve, connect, tls, processing, transfer.",
            queries: [q(`sum by (instance, phase) (probe_http_duration_seconds{${sel}})`, "{{instance}} {{phase}}")],
          }),
        )
        .withPanel(timeseriesPanel({ title: "HTTP status code", unit: "none", queries: [q(`probe_http_status_code{${sel}}`, "{{instance}}")] }))
        .withRow(new RowBuilder("TLS"))
        .withPanel(
          timeseriesPanel({
            title: "TLS certificate expiry",
            unit: "d",
            description: "Days until the earliest certificate of the chain expires.",
            queries: [q(`(probe_ssl_earliest_cert_expiry{${sel}} - time()) / 86400`, "{{instance}}")],
          }),
        ),
    ),
};
