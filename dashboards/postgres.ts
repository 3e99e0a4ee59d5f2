import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, UP_DOWN_MAPPINGS, buildDashboard, newDashboard, promQuery as q, promVariable, statPanel, timeseriesPanel } from "./common";

/** PostgreSQL from postgres-exporter's default collectors, per `instance` and database. */

const sel = `instance=~"$instance"`;
const db = `${sel}, datname=~"$datname"`;
const perDb = (metric: string) => `sum by (datname) (rate(${metric}{${db}}[$__rate_interval]))`;

export const postgres: Dashboard = {
  uid: "obs-postgres",
  title: "PostgreSQL",
  folder: FOLDERS.databases,
  build: () =>
    buildDashboard(
      newDashboard(postgres.uid, postgres.title, ["databases", "postgresql"])
        .description("Availability, connections, transactions, locks and cache of PostgreSQL servers.")
        .withVariable(promVariable("instance", "label_values(pg_up, instance)"))
        .withVariable(promVariable("datname", `label_values(pg_database_size_bytes{${sel}}, datname)`, { label: "database" }))
        .withRow(new RowBuilder("Overview"))
        .withPanel(statPanel({ title: "Up", unit: "short", query: q(`min(pg_up{${sel}})`), mappings: UP_DOWN_MAPPINGS }))
        .withPanel(
          statPanel({
            title: "Connections used",
            unit: "percentunit",
            description: "Backends of every state over max_connections; at 100% new clients are refused.",
            query: q(`max(sum by (instance) (pg_stat_activity_count{${sel}}) / sum by (instance) (pg_settings_max_connections{${sel}}))`),
            steps: [{ value: null, color: "green" }, { value: 0.75, color: "orange" }, { value: 0.9, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "Longest transaction",
            unit: "s",
            description: "Long transactions hold back vacuum and keep locks.",
            query: q(`max(pg_stat_activity_max_tx_duration{${sel}})`),
            steps: [{ value: null, color: "green" }, { value: 300, color: "orange" }, { value: 3600, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "Cache hit ratio",
            unit: "percentunit",
            description: "Share of block reads served from shared buffers; below ~99% the working set does not fit.",
            query: q(`sum(rate(pg_stat_database_blks_hit{${db}}[$__rate_interval])) / (sum(rate(pg_stat_database_blks_hit{${db}}[$__rate_interval])) + sum(rate(pg_stat_database_blks_read{${db}}[$__rate_interval])))`),
            steps: [{ value: null, color: "red" }, { value: 0.9, color: "orange" }, { value: 0.99, color: "green" }],
          }),
        )
        .withRow(new RowBuilder("Connections and transactions"))
        .withPanel(
          timeseriesPanel({
            title: "Connections vs max_connections",
            unit: "short",
            queries: [
              q(`sum by (instance, state) (pg_stat_activity_count{${sel}})`, "{{state}}"),
              q(`max by (instance) (pg_settings_max_connections{${sel}})`, "max_connections {{instance}}"),
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Transactions",
            unit: "ops",
            queries: [q(perDb("pg_stat_database_xact_commit"), "commit {{datname}}"), q(perDb("pg_stat_database_xact_rollback"), "rollback {{datname}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Deadlocks",
            unit: "short",
            bars: true,
            queries: [q(`sum by (datname) (increase(pg_stat_database_deadlocks{${db}}[$__rate_interval]))`, "{{datname}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Longest transaction",
            unit: "s",
            queries: [q(`max by (instance, datname) (pg_stat_activity_max_tx_duration{${db}})`, "{{datname}}")],
          }),
        )
        .withRow(new RowBuilder("Storage and cache"))
        .withPanel(timeseriesPanel({ title: "Database size", unit: "bytes", queries: [q(`pg_database_size_bytes{${db}}`, "{{datname}}")] }))
        .withPanel(
          timeseriesPanel({
            title: "Cache hit ratio",
            unit: "percentunit",
            max: 1,
            queries: [q(`${perDb("pg_stat_database_blks_hit")} / (${perDb("pg_stat_database_blks_hit")} + ${perDb("pg_stat_database_blks_read")})`, "{{datname}}")],
          }),
        ),
    ),
};
