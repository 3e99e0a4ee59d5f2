import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, buildDashboard, newDashboard, promQuery as q, promVariable, tablePanel, timeseriesPanel } from "./common";

/**
 * Containers from cAdvisor, per container `name`. cAdvisor's `name` label is the runtime's
 * container name (Docker: the compose/Pulumi name); `name!=""` drops the cgroup aggregates
 * (system slices, the root cgroup) that have no container behind them.
 */

const sel = `name=~"$name", name!=""`;

export const containers: Dashboard = {
  uid: "obs-containers",
  title: "Containers (cAdvisor)",
  folder: FOLDERS.infrastructure,
  build: () =>
    buildDashboard(
      newDashboard(containers.uid, containers.title, ["infrastructure", "cadvisor"])
        .description("CPU, memory, restarts, OOM kills and network of every container cAdvisor sees.")
        .withVariable(promVariable("name", `label_values(container_start_time_seconds{name!=""}, name)`, { label: "container" }))
        .withRow(new RowBuilder("Resources"))
        .withPanel(
          timeseriesPanel({
            title: "CPU",
            unit: "short",
            description: "CPU cores used (1 = one full core).",
            queries: [q(`sum by (name) (rate(container_cpu_usage_seconds_total{${sel}}[$__rate_interval]))`, "{{name}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Memory working set vs limit",
            unit: "bytes",
            description: "The working set is what the OOM killer compares with the limit; containers without a limit report 0 and are left out.",
            queries: [
              q(`sum by (name) (container_memory_working_set_bytes{${sel}})`, "{{name}}"),
              q(`sum by (name) (container_spec_memory_limit_bytes{${sel}}) > 0`, "limit {{name}}"),
            ],
          }),
        )
        .withRow(new RowBuilder("Stability"))
        .withPanel(
          timeseriesPanel({
            title: "Restarts",
            unit: "short",
            bars: true,
            description: "A container's start time changes each time it restarts.",
            queries: [q(`sum by (name) (changes(container_start_time_seconds{${sel}}[$__rate_interval]))`, "{{name}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "OOM events",
            unit: "short",
            bars: true,
            queries: [q(`sum by (name) (increase(container_oom_events_total{${sel}}[$__rate_interval]))`, "{{name}}")],
          }),
        )
        .withPanel(
          tablePanel({
            title: "Restarts and OOM kills in the time range",
            queries: [
              q(`sum by (name) (changes(container_start_time_seconds{${sel}}[$__range]))`, "restarts", { table: true }),
              q(`sum by (name) (increase(container_oom_events_total{${sel}}[$__range]))`, "OOM kills", { table: true }),
            ],
          }),
        )
        .withRow(new RowBuilder("Network"))
        .withPanel(
          timeseriesPanel({
            title: "Network received",
            unit: "Bps",
            queries: [q(`sum by (name) (rate(container_network_receive_bytes_total{${sel}}[$__rate_interval]))`, "{{name}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Network sent",
            unit: "Bps",
            queries: [q(`sum by (name) (rate(container_network_transmit_bytes_total{${sel}}[$__rate_interval]))`, "{{name}}")],
          }),
        ),
    ),
};
