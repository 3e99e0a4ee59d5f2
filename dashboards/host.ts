import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { VIRTUAL_NETWORK_DEVICES } from "../components/rules/infra-rules";
import { Dashboard, FOLDERS, binaryMappings, buildDashboard, newDashboard, promQuery as q, promVariable, statPanel, tablePanel, timeseriesPanel } from "./common";

/**
 * Host metrics from node-exporter: a fleet row over every host, then one host in detail.
 *
 * `instance` is single-valued, without "All": a host dashboard is read one host at a time, and
 * every per-host panel draws a series per device, mode or mountpoint. With "All" over a fleet of
 * 200 hosts each of them returned 200+ series of 1440 points for a day, seconds per panel however
 * it was computed (`npm run bench:dashboards`). The fleet row answers "which host?" instead, from
 * per-host series recorded by the `node` rule group (rules/node.yml), one series per host.
 */

const sel = `instance="$instance"`;
// Pseudo and container-layer filesystems: their "usage" says nothing about the host's disks.
const realFs = `${sel}, fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs|fuse.lxcfs"`;
// Loopback and virtual interfaces of containers double-count the traffic of the physical NICs.
const realNic = `${sel}, device!~"${VIRTUAL_NETWORK_DEVICES}"`;

/** Said on every fleet panel: recorded series have a fixed window, unlike `$__rate_interval`. */
const RECORDED = "From recording rules of rules/node.yml, evaluated with a fixed 5-minute rate window (Grafana's $__rate_interval cannot be used in a rule).";

export const host: Dashboard = {
  uid: "obs-host",
  title: "Host (node-exporter)",
  folder: FOLDERS.infrastructure,
  build: () =>
    buildDashboard(
      newDashboard(host.uid, host.title, ["infrastructure", "node-exporter"])
        .description("CPU, memory, disks, network, load and clock of every host running node-exporter: the fleet, then the host chosen in `instance`.")
        .withVariable(promVariable("instance", "label_values(node_uname_info, instance)", { label: "host", multi: false, includeAll: false }))
        .withRow(new RowBuilder("Fleet"))
        .withPanel(
          tablePanel({
            title: "Hosts",
            unit: "percentunit",
            description: `One row per host, now; sort a column to find the host to look at. Load is per core: above 100%, runnable tasks wait. ${RECORDED}`,
            queries: [
              q("instance:node_cpu_utilisation:rate5m", undefined, { table: true }),
              q("instance:node_memory_utilisation:ratio", undefined, { table: true }),
              q("instance:node_load1_per_cpu:ratio", undefined, { table: true }),
              q("instance:node_filesystem_usage:max_ratio", undefined, { table: true }),
              q("instance:node_network_receive_bytes_excluding_virtual:rate5m", undefined, { table: true }),
              q("instance:node_network_transmit_bytes_excluding_virtual:rate5m", undefined, { table: true }),
              q("instance:node_network_errors_excluding_virtual:rate5m", undefined, { table: true }),
              q("instance:node_disk_read_bytes:rate5m", undefined, { table: true }),
              q("instance:node_disk_written_bytes:rate5m", undefined, { table: true }),
            ],
            columns: [
              { title: "CPU" },
              { title: "memory" },
              { title: "load1 per core" },
              { title: "fullest filesystem" },
              { title: "network in", unit: "Bps" },
              { title: "network out", unit: "Bps" },
              { title: "network errors", unit: "pps" },
              { title: "disk read", unit: "Bps" },
              { title: "disk written", unit: "Bps" },
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Fleet CPU and memory",
            unit: "percentunit",
            min: 0,
            description: `The busiest host and the median host, per job, recorded as one series each: a day of them for 200 hosts is read at once. ${RECORDED}`,
            queries: [
              q("job:node_cpu_utilisation:max_rate5m", "CPU max {{job}}"),
              q("job:node_cpu_utilisation:median_rate5m", "CPU median {{job}}"),
              q("job:node_memory_utilisation:max_ratio", "memory max {{job}}"),
              q("job:node_memory_utilisation:median_ratio", "memory median {{job}}"),
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Fleet network and disk",
            unit: "Bps",
            description: `Totals over every host, per job: physical NICs only (no loopback, container or bridge interfaces), disks without the device-mapper and RAID devices stacked on them. ${RECORDED}`,
            queries: [
              q("job:node_network_receive_bytes_excluding_virtual:sum_rate5m", "network in {{job}}"),
              q("job:node_network_transmit_bytes_excluding_virtual:sum_rate5m", "network out {{job}}"),
              q("job:node_disk_read_bytes:sum_rate5m", "disk read {{job}}"),
              q("job:node_disk_written_bytes:sum_rate5m", "disk written {{job}}"),
            ],
          }),
        )
        .withRow(new RowBuilder("Host $instance"))
        .withPanel(statPanel({ title: "Uptime", unit: "s", query: q(`min(node_time_seconds{${sel}} - node_boot_time_seconds{${sel}})`) }))
        .withPanel(
          statPanel({
            title: "CPU busy",
            unit: "percentunit",
            query: q(`1 - avg(rate(node_cpu_seconds_total{${sel}, mode="idle"}[$__rate_interval]))`),
            steps: [{ value: null, color: "green" }, { value: 0.8, color: "orange" }, { value: 0.95, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "Read-only filesystems",
            unit: "short",
            description: "Filesystems mounted read-only: usually the kernel remounted them after I/O errors.",
            query: q(`sum(node_filesystem_readonly{${realFs}})`),
            steps: [{ value: null, color: "green" }, { value: 1, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "Clock synchronised",
            unit: "short",
            description: "0 on any host: its clock is not synchronised by NTP/chrony; TLS, tokens and alerts drift.",
            query: q(`min(node_timex_sync_status{${sel}})`),
            mappings: binaryMappings("NO", "YES"),
          }),
        )
        .withRow(new RowBuilder("CPU and memory"))
        .withPanel(
          timeseriesPanel({
            title: "CPU usage by mode",
            unit: "percentunit",
            stack: true,
            queries: [q(`avg by (mode) (rate(node_cpu_seconds_total{${sel}, mode!="idle"}[$__rate_interval]))`, "{{mode}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Memory used",
            unit: "bytes",
            description: "Used = total - available (available counts reclaimable page cache as free).",
            queries: [
              q(`node_memory_MemTotal_bytes{${sel}} - node_memory_MemAvailable_bytes{${sel}}`, "used {{instance}}"),
              q(`node_memory_MemTotal_bytes{${sel}}`, "total {{instance}}"),
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Load average",
            unit: "short",
            description: "Sustained load above the number of cores means runnable tasks are waiting.",
            queries: [
              q(`node_load1{${sel}}`, "1m {{instance}}"),
              q(`node_load5{${sel}}`, "5m {{instance}}"),
              q(`node_load15{${sel}}`, "15m {{instance}}"),
              q(`instance:node_num_cpu:sum{${sel}}`, "cores {{instance}}"),
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Clock offset",
            unit: "s",
            description: "Offset the kernel reports from the NTP reference.",
            queries: [q(`node_timex_offset_seconds{${sel}}`, "{{instance}}")],
          }),
        )
        .withRow(new RowBuilder("Disks"))
        .withPanel(
          timeseriesPanel({
            title: "Disk space used",
            unit: "percentunit",
            min: 0,
            max: 1,
            queries: [q(`1 - node_filesystem_avail_bytes{${realFs}} / node_filesystem_size_bytes{${realFs}}`, "{{instance}} {{mountpoint}}")],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Disk I/O",
            unit: "Bps",
            queries: [
              q(`rate(node_disk_read_bytes_total{${sel}}[$__rate_interval])`, "read {{instance}} {{device}}"),
              q(`rate(node_disk_written_bytes_total{${sel}}[$__rate_interval])`, "written {{instance}} {{device}}"),
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Disk busy time",
            unit: "percentunit",
            description: "Share of time the device had I/O in flight; near 100% means it is saturated.",
            queries: [q(`rate(node_disk_io_time_seconds_total{${sel}}[$__rate_interval])`, "{{instance}} {{device}}")],
          }),
        )
        .withRow(new RowBuilder("Network"))
        .withPanel(
          timeseriesPanel({
            title: "Network traffic",
            unit: "Bps",
            queries: [
              q(`rate(node_network_receive_bytes_total{${realNic}}[$__rate_interval])`, "in {{instance}} {{device}}"),
              q(`rate(node_network_transmit_bytes_total{${realNic}}[$__rate_interval])`, "out {{instance}} {{device}}"),
            ],
          }),
        )
        .withPanel(
          timeseriesPanel({
            title: "Network errors and drops",
            unit: "pps",
            queries: [
              q(`rate(node_network_receive_errs_total{${realNic}}[$__rate_interval]) + rate(node_network_transmit_errs_total{${realNic}}[$__rate_interval])`, "errors {{instance}} {{device}}"),
              q(`rate(node_network_receive_drop_total{${realNic}}[$__rate_interval]) + rate(node_network_transmit_drop_total{${realNic}}[$__rate_interval])`, "drops {{instance}} {{device}}"),
            ],
          }),
        ),
    ),
};
