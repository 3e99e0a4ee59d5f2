import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, UP_DOWN_MAPPINGS, buildDashboard, newDashboard, promQuery as q, promVariable, statPanel, timeseriesPanel } from "./common";

/** Redis from redis-exporter, per `instance`. */

const sel = `instance=~"$instance"`;
const rate = (metric: string) => `rate(${metric}{${sel}}[$__rate_interval])`;

export const redis: Dashboard = {
  uid: "obs-redis",
  title: "Redis",
  folder: FOLDERS.databases,
  build: () =>
    buildDashboard(
      newDashboard(redis.uid, redis.title, ["databases", "redis"])
        .description("Availability, memory, throughput, hit ratio, clients and evictions of Redis servers.")
        .withVariable(promVariable("instance", "label_values(redis_up, instance)"))
        .withRow(new RowBuilder("Overview"))
        .withPanel(statPanel({ title: "Up", unit: "short", query: q(`min(redis_up{${sel}})`), mappings: UP_DOWN_MAPPINGS }))
        .withPanel(statPanel({ title: "Commands", unit: "ops", query: q(`sum(${rate("redis_commands_processed_total")})`) }))
        .withPanel(statPanel({ title: "Connected clients", unit: "short", query: q(`sum(redis_connected_clients{${sel}})`) }))
        .withPanel(
          statPanel({
            title: "Rejected connections",
            unit: "short",
            description: "Connections refused because maxclients was reached, in the time range.",
            query: q(`sum(increase(redis_rejected_connections_total{${sel}}[$__range]))`, undefined, { instant: true }),
            steps: [{ value: null, color: "green" }, { value: 1, color: "red" }],
          }),
        )
        .withRow(new RowBuilder("Memory"))
        .withPanel(
          timeseriesPanel({
            title: "Memory used vs maxmemory",
            unit: "bytes",
            description: "maxmemory 0 means no limit: Redis grows until the OS or the container limit stops it.",
            queries: [q(`redis_memory_used_bytes{${sel}}`, "used {{instance}}"), q(`redis_memory_max_bytes{${sel}}`, "maxmemory {{instance}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Evicted keys",
            unit: "short",
            description: "Keys dropped by the maxmemory policy to make room.",
            queries: [q(rate("redis_evicted_keys_total"), "{{instance}}")],
          }),
        )
        .withRow(new RowBuilder("Traffic"))
        .withPanel(timeseriesPanel({ title: "Operations per second", unit: "ops", queries: [q(rate("redis_commands_processed_total"), "{{instance}}")] }))
        .withPanel(
          timeseriesPanel({
            title: "Keyspace hit ratio",
            unit: "percentunit",
            max: 1,
            queries: [
              q(`${rate("redis_keyspace_hits_total")} / (${rate("redis_keyspace_hits_total")} + ${rate("redis_keyspace_misses_total")})`, "{{instance}}"),
            ],
          }),
        )
        .withPanel(timeseriesPanel({ title: "Connected clients", unit: "short", queries: [q(`redis_connected_clients{${sel}}`, "{{instance}}")] }))
        .withPanel(timeseriesPanel({ title: "Rejected connections", unit: "short", queries: [q(rate("redis_rejected_connections_total"), "{{instance}}")] })),
    ),
};
