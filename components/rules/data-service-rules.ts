import { alert, num, RuleGroup, RuleThresholds } from "./rule-types";
import { pct } from "./infra-rules";

/** postgres-exporter, at the version `components/shared/versions.ts` pins. */
export function postgresGroup(t: RuleThresholds): RuleGroup {
  return {
    name: "postgres",
    rules: [
      alert(t, {
        name: "PostgresDown",
        expr: "pg_up == 0",
        for: "1m",
        severity: "critical",
        summary: "PostgreSQL behind {{ $labels.instance }} is unreachable.",
        description: "postgres-exporter {{ $labels.instance }} (job {{ $labels.job }}) cannot connect to its PostgreSQL server: the database is down or refuses the exporter's credentials.",
      }),
      alert(t, {
        name: "PostgresTooManyConnections",
        // Both sides reduced to job/instance: the activity series are split by database, state, user,
        // application and wait event, and both carry the exporter's `server` label.
        expr:
          `sum by (job, instance) (pg_stat_activity_count) / on (job, instance) max by (job, instance) (pg_settings_max_connections) > ${num(t.postgresConnectionsRatio)}`,
        for: "5m",
        severity: "warning",
        summary: "PostgreSQL {{ $labels.instance }} uses {{ $value | humanizePercentage }} of max_connections.",
        description: `More than ${pct(t.postgresConnectionsRatio)} of max_connections of {{ $labels.instance }} have been in use for 5 minutes; new clients will soon be refused.`,
      }),
      alert(t, {
        name: "PostgresDeadlocks",
        expr: `increase(pg_stat_database_deadlocks[10m]) > ${num(t.postgresDeadlocks)}`,
        for: "1m",
        severity: "warning",
        summary: "PostgreSQL database {{ $labels.datname }} on {{ $labels.instance }} has deadlocks.",
        description: `{{ $value | humanize }} deadlocks in 10 minutes (more than ${num(t.postgresDeadlocks)}) in database {{ $labels.datname }}: transactions are being aborted.`,
      }),
      alert(t, {
        name: "PostgresLongRunningTransaction",
        // The exporter splits the series by user, application, backend type and wait event too; a
        // long transaction's wait event changes as it runs (IO, Lock, ...), and each change would be
        // a new alert restarting its `for`. Kept by database and state, as the description names them.
        expr: `max by (job, instance, datname, state) (pg_stat_activity_max_tx_duration{datname!~"template.*"}) > ${num(t.postgresLongTransactionSeconds)}`,
        for: "2m",
        severity: "warning",
        summary: "A transaction in {{ $labels.datname }} on {{ $labels.instance }} has been open for {{ $value | humanizeDuration }}.",
        description: `A transaction in state "{{ $labels.state }}" in database {{ $labels.datname }} has been open longer than ${num(t.postgresLongTransactionSeconds)}s; it holds locks and stops VACUUM from cleaning up.`,
      }),
    ],
  };
}

/** redis_exporter, at the version `components/shared/versions.ts` pins. */
export function redisGroup(t: RuleThresholds): RuleGroup {
  return {
    name: "redis",
    rules: [
      alert(t, {
        name: "RedisDown",
        expr: "redis_up == 0",
        for: "1m",
        severity: "critical",
        summary: "Redis behind {{ $labels.instance }} is unreachable.",
        description: "redis_exporter {{ $labels.instance }} (job {{ $labels.job }}) cannot reach its Redis server.",
      }),
      alert(t, {
        name: "RedisMemoryNearMax",
        // maxmemory 0 means unlimited: no ratio to compute.
        expr: `redis_memory_used_bytes / (redis_memory_max_bytes > 0) > ${num(t.redisMemoryRatio)}`,
        for: "5m",
        severity: "warning",
        summary: "Redis {{ $labels.instance }} uses {{ $value | humanizePercentage }} of maxmemory.",
        description: `Redis {{ $labels.instance }} has used more than ${pct(t.redisMemoryRatio)} of maxmemory for 5 minutes; at 100% it evicts keys or, with noeviction, refuses writes.`,
      }),
      alert(t, {
        name: "RedisRejectedConnections",
        expr: "increase(redis_rejected_connections_total[5m]) > 0",
        for: "1m",
        severity: "warning",
        summary: "Redis {{ $labels.instance }} is rejecting connections.",
        description: "Redis {{ $labels.instance }} rejected {{ $value | humanize }} connections in 5 minutes because maxclients was reached.",
      }),
    ],
  };
}

/** blackbox-exporter probes, at the version `components/shared/versions.ts` pins. */
export function blackboxGroup(t: RuleThresholds): RuleGroup {
  return {
    name: "blackbox",
    rules: [
      // The 5-minute mean ProbeSlow judges, per target: what the probes dashboard ranks targets by.
      { record: "instance:probe_duration_seconds:avg_over_time5m", expr: "avg_over_time(probe_duration_seconds[5m])" },
      alert(t, {
        name: "ProbeFailed",
        expr: "probe_success == 0",
        for: "3m",
        severity: "critical",
        summary: "Probe of {{ $labels.instance }} is failing.",
        description: "The {{ $labels.job }} probe of {{ $labels.instance }} has failed for 3 minutes: the endpoint is down, unreachable, answers an error, or its TLS certificate is invalid.",
      }),
      alert(t, {
        name: "ProbeSlow",
        expr: `avg_over_time(probe_duration_seconds[5m]) > ${num(t.probeSlowSeconds)}`,
        for: "10m",
        severity: "warning",
        summary: "Probe of {{ $labels.instance }} takes {{ $value | humanizeDuration }}.",
        description: `The {{ $labels.job }} probe of {{ $labels.instance }} has averaged more than ${num(t.probeSlowSeconds)}s for 10 minutes.`,
      }),
      alert(t, {
        name: "TlsCertificateExpiringSoon",
        expr: `probe_ssl_earliest_cert_expiry - time() < ${num(t.tlsCertificateExpiryDays)} * 86400`,
        for: "1h",
        severity: "warning",
        summary: "TLS certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}.",
        description: `A certificate in the chain served by {{ $labels.instance }} expires in less than ${num(t.tlsCertificateExpiryDays)} days; renew it before clients refuse the connection.`,
      }),
    ],
  };
}
