import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, FOLDERS, binaryMappings, buildDashboard, newDashboard, promQuery as q, promVariable, statPanel, timeseriesPanel } from "./common";

/** Host metrics from node-exporter, per `instance`. */

const sel = `instance=~"$instance"`;
// Pseudo and container-layer filesystems: their "usage" says nothing about the host's disks.
const realFs = `${sel}, fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs|fuse.lxcfs"`;
// Loopback and virtual interfaces of containers double-count the traffic of the physical NICs.
const realNic = `${sel}, device!~"lo|veth.*|docker.*|br-.*|cali.*|flannel.*|cni.*"`;

export const host: Dashboard = {
  uid: "obs-host",
  title: "Host (node-exporter)",
  folder: FOLDERS.infrastructure,
  build: () =>
    buildDashboard(
      newDashboard(host.uid, host.title, ["infrastructure", "node-exporter"])
        .description("CPU, memory, disks, network, load and clock of every host running node-exporter.")
        .withVariable(promVariable("instance", "label_values(node_uname_info, instance)"))
        .withRow(new RowBuilder("Overview"))
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
              q(`count by (instance) (node_cpu_seconds_total{${sel}, mode="idle"})`, "cores {{instance}}"),
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
