import type { DeployedParts } from "./rule-files";
import { alert, alternatives, num, RecordingRule, RuleGroup, RuleThresholds } from "./rule-types";

/** Scrape health of every target, and the dead man's switch. */
export function targetsGroup(t: RuleThresholds): RuleGroup {
  return {
    name: "targets",
    rules: [
      // The fast page: a whole service (every target of its job) unreachable. `max by (job)` is 0
      // only when no target of the job answers, so one bad replica stays TargetDown's (a warning
      // after 5m); its inhibition rule then mutes the job's other alerts, TargetDown included.
      alert(t, {
        name: "ServiceDown",
        expr: "max by (job) (up) == 0",
        for: t.serviceDownFor,
        severity: "critical",
        summary: "Every target of job {{ $labels.job }} is down.",
        description: `Prometheus has failed to scrape every target of job {{ $labels.job }} for ${t.serviceDownFor}: the service is unreachable, or its exporter is.`,
      }),
      alert(t, {
        name: "TargetDown",
        expr: "up == 0",
        for: "5m",
        severity: "warning",
        summary: "Target {{ $labels.instance }} of job {{ $labels.job }} is down.",
        description: "Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for 5 minutes: its metrics, and every alert built on them, are missing.",
      }),
      alert(t, {
        name: "ScrapeFailures",
        // Both counters exist from Prometheus 2.28 on; a scrape over a limit is dropped whole (its `up` is 0).
        expr:
          "increase(prometheus_target_scrapes_exceeded_sample_limit_total[10m]) > 0 or increase(prometheus_target_scrapes_exceeded_body_size_limit_total[10m]) > 0",
        for: "5m",
        severity: "warning",
        summary: "Prometheus {{ $labels.instance }} is dropping scrapes over their sample or body-size limit.",
        description: "{{ $value | humanize }} scrapes in the last 10 minutes on {{ $labels.instance }} exceeded sample_limit or body_size_limit and were discarded entirely.",
      }),
      // No `for`: it must fire from the first evaluation, so a dead-man's-switch receiver notices
      // within one evaluation interval when Prometheus or the notification path stops.
      alert(t, {
        name: "Watchdog",
        expr: "vector(1)",
        severity: "none",
        summary: "Always firing: proves the alerting pipeline works end to end.",
        description: "This alert always fires. Route it to a dead man's switch (e.g. healthchecks.io, PagerDuty heartbeat); its absence means Prometheus, Alertmanager or the route between them is broken.",
      }),
    ],
  };
}

/**
 * Network devices that are not a host's own NICs: loopback, container veths, bridges and CNI
 * interfaces. Their traffic is the physical NICs' traffic counted again, so the per-host network
 * rules and the host dashboard leave them out. A PromQL regex (Prometheus anchors it).
 */
export const VIRTUAL_NETWORK_DEVICES = "lo|veth.*|docker.*|br-.*|cali.*|flannel.*|cni.*";

/**
 * Block devices left out of the per-host disk I/O sums: device-mapper (LVM, LUKS) and software
 * RAID devices pass their I/O on to the disks below them, which node-exporter also reports.
 */
const STACKED_BLOCK_DEVICES = "dm-.*|md.*";

/**
 * Per-host aggregates of node-exporter series, named like node-mixin's: what the host dashboard's
 * fleet row reads for hundreds of hosts over a day, where the raw series would be too heavy; then
 * the fleet's busiest and median host per `job`, from the per-host series (rules of a group run in
 * order, so they read this evaluation's values).
 */
function nodeRecordingRules(fs: string): RecordingRule[] {
  const nic = `device!~"${VIRTUAL_NETWORK_DEVICES}"`;
  const disk = `device!~"${STACKED_BLOCK_DEVICES}"`;
  const cores = 'count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})';
  return [
    { record: "instance:node_num_cpu:sum", expr: cores },
    { record: "instance:node_load1_per_cpu:ratio", expr: `node_load1 / ${cores}` },
    // The fullest filesystem of each host: what the disk-space alerts would look at first.
    {
      record: "instance:node_filesystem_usage:max_ratio",
      expr: `max without (device, fstype, mountpoint) (1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}})`,
    },
    { record: "instance:node_network_receive_bytes_excluding_virtual:rate5m", expr: `sum without (device) (rate(node_network_receive_bytes_total{${nic}}[5m]))` },
    { record: "instance:node_network_transmit_bytes_excluding_virtual:rate5m", expr: `sum without (device) (rate(node_network_transmit_bytes_total{${nic}}[5m]))` },
    {
      record: "instance:node_network_errors_excluding_virtual:rate5m",
      expr: `sum without (device) (rate(node_network_receive_errs_total{${nic}}[5m]) + rate(node_network_transmit_errs_total{${nic}}[5m]))`,
    },
    { record: "instance:node_disk_read_bytes:rate5m", expr: `sum without (device) (rate(node_disk_read_bytes_total{${disk}}[5m]))` },
    { record: "instance:node_disk_written_bytes:rate5m", expr: `sum without (device) (rate(node_disk_written_bytes_total{${disk}}[5m]))` },
    // One series per job instead of one per host: the fleet panels read a day of them at once.
    { record: "job:node_cpu_utilisation:max_rate5m", expr: "max by (job) (instance:node_cpu_utilisation:rate5m)" },
    { record: "job:node_cpu_utilisation:median_rate5m", expr: "quantile by (job) (0.5, instance:node_cpu_utilisation:rate5m)" },
    { record: "job:node_memory_utilisation:max_ratio", expr: "max by (job) (instance:node_memory_utilisation:ratio)" },
    { record: "job:node_memory_utilisation:median_ratio", expr: "quantile by (job) (0.5, instance:node_memory_utilisation:ratio)" },
    { record: "job:node_network_receive_bytes_excluding_virtual:sum_rate5m", expr: "sum by (job) (instance:node_network_receive_bytes_excluding_virtual:rate5m)" },
    { record: "job:node_network_transmit_bytes_excluding_virtual:sum_rate5m", expr: "sum by (job) (instance:node_network_transmit_bytes_excluding_virtual:rate5m)" },
    { record: "job:node_disk_read_bytes:sum_rate5m", expr: "sum by (job) (instance:node_disk_read_bytes:rate5m)" },
    { record: "job:node_disk_written_bytes:sum_rate5m", expr: "sum by (job) (instance:node_disk_written_bytes:rate5m)" },
  ];
}

/** node-exporter: CPU, memory, filesystems, clock. Recording rules named like node-mixin's. */
export function nodeGroup(t: RuleThresholds): RuleGroup {
  const fs = `fstype!~"${alternatives(t.filesystemExcludedFsTypes)}"`;
  const avail = `node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}}`;
  const writable = `node_filesystem_readonly{${fs}} == 0`;
  const offset = num(t.hostClockOffsetSeconds);
  return {
    name: "node",
    rules: [
      {
        record: "instance:node_cpu_utilisation:rate5m",
        // iowait and steal count as not busy: the CPU was free to run something else.
        expr: '1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{mode=~"idle|iowait|steal"}[5m])))',
      },
      {
        record: "instance:node_memory_utilisation:ratio",
        expr: "1 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
      },
      ...nodeRecordingRules(fs),
      alert(t, {
        name: "HostHighCpu",
        expr: `instance:node_cpu_utilisation:rate5m > ${num(t.hostCpuUtilisation)}`,
        for: "15m",
        severity: "warning",
        summary: "Host {{ $labels.instance }} CPU is {{ $value | humanizePercentage }} busy.",
        description: `CPU utilisation of {{ $labels.instance }} has stayed above ${pct(t.hostCpuUtilisation)} for 15 minutes; work on it is queuing.`,
      }),
      alert(t, {
        name: "HostHighMemory",
        expr: `instance:node_memory_utilisation:ratio > ${num(t.hostMemoryUtilisation)}`,
        for: "15m",
        severity: "warning",
        summary: "Host {{ $labels.instance }} memory is {{ $value | humanizePercentage }} used.",
        description: `Less than ${pct(1 - t.hostMemoryUtilisation)} of the memory of {{ $labels.instance }} has been available for 15 minutes; the OOM killer is close.`,
      }),
      alert(t, {
        name: "HostDiskSpaceLow",
        expr: `(${avail}) < ${num(t.hostDiskAvailableRatio)} and ${writable}`,
        for: "15m",
        severity: "warning",
        summary: "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} space left.",
        description: `{{ $labels.device }} mounted at {{ $labels.mountpoint }} on {{ $labels.instance }} has had less than ${pct(t.hostDiskAvailableRatio)} of its space available for 15 minutes.`,
      }),
      alert(t, {
        name: "HostDiskWillFillIn24Hours",
        // The 40% guard keeps a large, mostly empty disk with a short write burst quiet.
        expr: `(${avail}) < 0.4 and predict_linear(node_filesystem_avail_bytes{${fs}}[6h], 24 * 3600) < 0 and ${writable}`,
        for: "1h",
        severity: "warning",
        summary: "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} will fill within 24 hours.",
        description: "At the rate of the last 6 hours, {{ $labels.device }} mounted at {{ $labels.mountpoint }} on {{ $labels.instance }} runs out of space within 24 hours; {{ $value | humanizePercentage }} is left.",
      }),
      alert(t, {
        name: "HostFilesystemReadOnly",
        expr: `node_filesystem_readonly{${fs}} == 1`,
        for: "5m",
        severity: "critical",
        summary: "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is read-only.",
        description: "{{ $labels.device }} mounted at {{ $labels.mountpoint }} on {{ $labels.instance }} is mounted read-only; the kernel remounts a filesystem read-only after I/O or journal errors, and every write to it fails.",
      }),
      alert(t, {
        name: "HostClockSkew",
        // Offset moving away from zero, or (value: maximum error) the kernel not synchronised at all.
        expr:
          `(node_timex_offset_seconds > ${offset} and deriv(node_timex_offset_seconds[5m]) >= 0)` +
          ` or (node_timex_offset_seconds < -${offset} and deriv(node_timex_offset_seconds[5m]) <= 0)` +
          " or (node_timex_maxerror_seconds >= 16 and min_over_time(node_timex_sync_status[5m]) == 0)",
        for: "10m",
        severity: "warning",
        summary: "Clock of {{ $labels.instance }} is skewed or not synchronised.",
        description: `The clock of {{ $labels.instance }} is {{ $value }}s off (offset beyond ±${offset}s, or the maximum error of an unsynchronised clock) for 10 minutes; timestamps, TLS and distributed traces go wrong. Check NTP/chrony.`,
      }),
    ],
  };
}

/** cAdvisor (and kube-state-metrics on Kubernetes): restarts, OOM kills, memory limits. */
export function containersGroup(t: RuleThresholds, parts?: DeployedParts): RuleGroup {
  return {
    name: "containers",
    rules: [
      alert(t, {
        name: "ContainerRestarting",
        // On Docker a restarted container keeps its cgroup, so its series sees the start time
        // change; on Kubernetes each restart is a new cgroup (a new series), so the restart
        // counter of kube-state-metrics is used there. `image!=""` skips cgroups that are not containers.
        // Each platform's stack gets only its own branch; the committed render (no parts) has both.
        expr: [
          ...(parts === undefined || parts.platform === "docker" ? [`changes(container_start_time_seconds{image!=""}[15m]) > ${num(t.containerRestarts)}`] : []),
          ...(parts === undefined || parts.platform === "kubernetes" ? [`increase(kube_pod_container_status_restarts_total[15m]) > ${num(t.containerRestarts)}`] : []),
        ].join(" or "),
        for: "5m",
        severity: "warning",
        summary: "Container {{ $labels.name }}{{ $labels.container }} on {{ $labels.instance }} is restarting.",
        description: `Container {{ $labels.name }}{{ $labels.container }} restarted {{ $value | humanize }} times in 15 minutes (more than ${num(t.containerRestarts)}): it is crash-looping.`,
      }),
      alert(t, {
        name: "ContainerOomKilled",
        expr: 'increase(container_oom_events_total{image!=""}[15m]) > 0',
        for: "1m",
        severity: "warning",
        summary: "Container {{ $labels.name }}{{ $labels.container }} on {{ $labels.instance }} was OOM-killed.",
        description: "The kernel OOM killer fired {{ $value | humanize }} times in the last 15 minutes inside container {{ $labels.name }}{{ $labels.container }}: it needs more memory or has a leak.",
      }),
      alert(t, {
        name: "ContainerMemoryNearLimit",
        // Limit 0 means no limit on cAdvisor; dividing by it would give +Inf.
        expr: `container_memory_working_set_bytes{image!=""} / (container_spec_memory_limit_bytes{image!=""} > 0) > ${num(t.containerMemoryLimitRatio)}`,
        for: "15m",
        severity: "warning",
        summary: "Container {{ $labels.name }}{{ $labels.container }} uses {{ $value | humanizePercentage }} of its memory limit.",
        description: `The working set of container {{ $labels.name }}{{ $labels.container }} on {{ $labels.instance }} has been above ${pct(t.containerMemoryLimitRatio)} of its memory limit for 15 minutes; at 100% it is OOM-killed.`,
      }),
    ],
  };
}

/** `0.9` → `90%`, for descriptions. */
export function pct(ratio: number): string {
  return `${Number((ratio * 100).toFixed(4))}%`;
}
