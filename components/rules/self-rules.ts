import type { DeployedParts } from "./rule-files";
import { alert, num, RuleGroup, RuleThresholds } from "./rule-types";
import { pct } from "./infra-rules";

/** The monitoring of the monitor: Prometheus's own health. */
export function prometheusGroup(t: RuleThresholds): RuleGroup {
  return {
    name: "prometheus",
    rules: [
      alert(t, {
        name: "PrometheusConfigReloadFailed",
        // max_over_time: a reload that succeeds within the window clears the alert.
        expr: "max_over_time(prometheus_config_last_reload_successful[5m]) == 0",
        for: "10m",
        severity: "warning",
        summary: "Prometheus {{ $labels.instance }} failed to reload its configuration.",
        description: "The last configuration reload of Prometheus {{ $labels.instance }} failed; it keeps running the previous configuration and the next restart will fail.",
      }),
      alert(t, {
        name: "PrometheusRuleEvaluationFailures",
        expr: "increase(prometheus_rule_evaluation_failures_total[5m]) > 0",
        for: "15m",
        severity: "critical",
        summary: "Prometheus {{ $labels.instance }} fails to evaluate rules of {{ $labels.rule_group }}.",
        description: "{{ $value | humanize }} rule evaluations of group {{ $labels.rule_group }} failed in 5 minutes on {{ $labels.instance }}: alerts of that group may silently not fire.",
      }),
      alert(t, {
        name: "PrometheusNotificationsDropped",
        // Prometheus 3 keeps one queue per Alertmanager and counts drops per `alertmanager`: one
        // replica down drops everything sent to it while the others still receive. Only drops for
        // every Alertmanager of a Prometheus mean that alerts reach no one; a dead replica is
        // TargetDown's and AlertmanagerClusterPeersMissing's business.
        expr: "min without (alertmanager) (increase(prometheus_notifications_dropped_total[5m])) > 0",
        for: "15m",
        severity: "warning",
        summary: "Prometheus {{ $labels.instance }} is dropping alert notifications.",
        description: "Prometheus {{ $labels.instance }} dropped at least {{ $value | humanize }} alerts in 5 minutes for each of its Alertmanagers (queue full, or none of them accepting): alerts are not reaching anyone.",
      }),
      alert(t, {
        name: "PrometheusTsdbCompactionsFailed",
        expr: "increase(prometheus_tsdb_compactions_failed_total[3h]) > 0",
        for: "4h",
        severity: "warning",
        summary: "Prometheus {{ $labels.instance }} fails to compact its TSDB.",
        description: "{{ $value | humanize }} compactions failed in 3 hours on {{ $labels.instance }}; the head block grows, memory and disk use climb.",
      }),
      alert(t, {
        name: "PrometheusStorageNearFull",
        // The limit is 0 unless --storage.tsdb.retention.size is set.
        expr: `prometheus_tsdb_storage_blocks_bytes / (prometheus_tsdb_retention_limit_bytes > 0) > ${num(t.prometheusStorageRatio)}`,
        for: "30m",
        severity: "warning",
        summary: "Prometheus {{ $labels.instance }} storage is at {{ $value | humanizePercentage }} of its retention size.",
        description: `The blocks of Prometheus {{ $labels.instance }} take more than ${pct(t.prometheusStorageRatio)} of --storage.tsdb.retention.size: the oldest data is deleted before the time retention is reached.`,
      }),
      alert(t, {
        name: "PrometheusNotConnectedToAlertmanagers",
        expr: "max_over_time(prometheus_notifications_alertmanagers_discovered[5m]) < 1",
        for: "10m",
        severity: "warning",
        summary: "Prometheus {{ $labels.instance }} has no Alertmanager to send alerts to.",
        description: "Prometheus {{ $labels.instance }} has discovered no Alertmanager for 10 minutes: firing alerts are not delivered.",
      }),
    ],
  };
}

/** Alertmanager's own health. */
export function alertmanagerGroup(t: RuleThresholds, parts?: DeployedParts): RuleGroup {
  const job = `job=~"${t.alertmanagerJobRegex}"`;
  // Without an explicit count, every Alertmanager that is up is expected in the cluster; one
  // that is down is TargetDown's business, not this alert's.
  const expected =
    t.alertmanagerExpectedPeers !== undefined
      ? num(t.alertmanagerExpectedPeers)
      : `on (job) count by (job) (up{${job}} == 1)`;
  return {
    name: "alertmanager",
    rules: [
      alert(t, {
        name: "AlertmanagerFailedNotifications",
        // `reason` is a label of the failure counter only: summed away so both sides match.
        expr:
          "sum without (reason) (rate(alertmanager_notifications_failed_total[5m])) / sum without (reason) (rate(alertmanager_notifications_total[5m])) > " +
          num(t.alertmanagerFailedNotificationRatio),
        for: "5m",
        severity: "warning",
        summary: "Alertmanager {{ $labels.instance }} fails to send {{ $labels.integration }} notifications.",
        description: `{{ $value | humanizePercentage }} of the {{ $labels.integration }} notifications of {{ $labels.instance }} failed over 5 minutes (more than ${pct(t.alertmanagerFailedNotificationRatio)}).`,
      }),
      // A single replica runs no gossip and exports no cluster members: no alert that could only misfire.
      ...(parts === undefined || parts.alertmanagerClustered
        ? [
          alert(t, {
            name: "AlertmanagerClusterPeersMissing",
            expr: `min by (job) (alertmanager_cluster_members{${job}}) < ${expected}`,
            for: "15m",
            severity: "warning",
            summary: "Alertmanager cluster {{ $labels.job }} is missing peers.",
            description: "An Alertmanager of job {{ $labels.job }} sees only {{ $value }} cluster members: the cluster is split and may send duplicate notifications or lose silences.",
          }),
          ]
        : []),
      alert(t, {
        name: "AlertmanagerConfigReloadFailed",
        expr: "max_over_time(alertmanager_config_last_reload_successful[5m]) == 0",
        for: "10m",
        severity: "warning",
        summary: "Alertmanager {{ $labels.instance }} failed to reload its configuration.",
        description: "The last configuration reload of Alertmanager {{ $labels.instance }} failed; it keeps routing with the previous configuration.",
      }),
    ],
  };
}
