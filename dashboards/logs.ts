import { RowBuilder, TextBoxVariableBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, buildDashboard, logsPanel, lokiQuery, lokiVariable, newDashboard, timeseriesPanel } from "./common";

/**
 * Logs from Loki, per service. Assumes Loki 3's defaults: every stream carries `service_name`
 * (derived from the shipper's labels) and `detected_level` is attached as structured metadata
 * (`discover_log_levels`, on by default), so no parsing stage is needed to split by level.
 */

const stream = `{service_name=~"$service"}`;
// Case-insensitive: applications log ERROR, error and Error.
const errors = `|~ "(?i)(error|exception|fatal|panic)"`;

export const logs: Dashboard = {
  uid: "obs-logs",
  title: "Logs overview",
  folder: FOLDERS.observability,
  build: () =>
    buildDashboard(
      newDashboard(logs.uid, logs.title, ["logs", "loki"])
        .description("Log volume by level, error lines and the raw logs of every service shipping to Loki.")
        .withVariable(lokiVariable("service", "service_name"))
        .withVariable(new TextBoxVariableBuilder("search").label("search (regex)").defaultValue(""))
        .withRow(new RowBuilder("Volume"))
        .withPanel(
          timeseriesPanel({
            title: "Log volume by level",
            unit: "short",
            stack: true,
            bars: true,
            queries: [lokiQuery(`sum by (detected_level) (count_over_time(${stream} [$__interval]))`, "{{detected_level}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Error lines by service",
            unit: "short",
            bars: true,
            queries: [lokiQuery(`sum by (service_name) (count_over_time(${stream} ${errors} [$__interval]))`, "{{service_name}}")],
          }),
        )
        .withRow(new RowBuilder("Logs"))
        .withPanel(logsPanel({ title: "Error lines", h: 10, query: lokiQuery(`${stream} ${errors}`) }))
        .withPanel(logsPanel({ title: "Logs", query: lokiQuery(`${stream} |~ "(?i)$search"`) })),
    ),
};
