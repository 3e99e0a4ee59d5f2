import * as yaml from "js-yaml";
import { AlertingConfigInput, AlertingSecrets, requiredSecretKeys, parseAlerting } from "../../components/alerting/config";
import { renderAlertmanagerConfig } from "../../components/alerting/alertmanager-config";
import { renderPrometheusConfig } from "../../components/metrics/prometheus-config";
import { AlertRule, defaultThresholds, renderRuleFiles, RuleGroup } from "../../components/rules/rule-files";
import { AlertmanagerHandle, Notification, PrometheusHandle, startAlertmanager, startPrometheus, startWebhookReceiver, waitFor, WebhookReceiverHandle } from "./processes";

/**
 * What the alerting e2e test and `bench/alerting.ts` share: one routing definition in the shape
 * of `exampleAlerting` whose receivers are all webhooks to the in-process receiver, and the rule
 * files with shorter holds.
 */

/** Alertmanager timers of the route tree; omitted ones take the schema's defaults (30s, 5m, 4h). */
export interface RouteTimers {
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** The Watchdog's heartbeat period (`watchdog.repeatInterval`). Default: the schema's (1m). */
  watchdogRepeatInterval?: string;
  /** The on-call (critical) route's group_wait, as Pulumi.prod.yaml sets one. Default: the root's. */
  criticalGroupWait?: string;
}

/** The receivers, each a webhook whose URL is `<receiver url>/<name>`. */
export const RECEIVERS = { default: "default", oncall: "oncall", chat: "chat", deadmansSwitch: "deadmans-switch" } as const;

/**
 * Routing as `exampleAlerting` does it: Watchdog to its dead-man's switch (its own route, added by
 * the renderer), critical pages on-call and continues to chat, warning goes to chat, anything else
 * to the default receiver. `TargetDown` (a warning) must therefore reach `chat`, and only it;
 * `ServiceDown` (critical) both `oncall` and `chat`.
 */
export function alertingDefinition(timers: RouteTimers): AlertingConfigInput {
  return {
    receivers: [
      { name: RECEIVERS.default, webhook: [{}] },
      { name: RECEIVERS.oncall, webhook: [{}] },
      { name: RECEIVERS.chat, webhook: [{}] },
      { name: RECEIVERS.deadmansSwitch, webhook: [{ sendResolved: false }] },
    ],
    route: {
      receiver: RECEIVERS.default,
      ...(timers.groupWait ? { groupWait: timers.groupWait } : {}),
      ...(timers.groupInterval ? { groupInterval: timers.groupInterval } : {}),
      ...(timers.repeatInterval ? { repeatInterval: timers.repeatInterval } : {}),
      routes: [
        { matchers: ['severity="critical"'], receiver: RECEIVERS.oncall, continue: true, ...(timers.criticalGroupWait ? { groupWait: timers.criticalGroupWait } : {}) },
        { matchers: ['severity=~"critical|warning"'], receiver: RECEIVERS.chat },
      ],
    },
    watchdog: { receiver: RECEIVERS.deadmansSwitch, ...(timers.watchdogRepeatInterval ? { repeatInterval: timers.watchdogRepeatInterval } : {}) },
  };
}

/**
 * The secrets of `definition`: each receiver's webhook URL points at the receiver server, one path
 * per receiver (the payload's `receiver` field names it too). Checked against `requiredSecretKeys`
 * so a change of the secret-key scheme fails here rather than as a missing notification.
 */
export function webhookSecrets(definition: AlertingConfigInput, receiverUrl: string): AlertingSecrets {
  const cfg = parseAlerting(definition);
  const secrets: AlertingSecrets = {};
  for (const r of cfg.receivers) secrets[`${r.name}.webhook[0]`] = `${receiverUrl}/${r.name}`;
  const needed = requiredSecretKeys(cfg).sort();
  const given = Object.keys(secrets).sort();
  if (needed.join() !== given.join()) throw new Error(`webhook secrets ${given.join(", ")} do not match the required keys ${needed.join(", ")}`);
  return secrets;
}

/**
 * The rendered rule files with the `for:` of the named alerts replaced (`{ TargetDown: "3s" }`),
 * so real-process tests need not wait production's holds. Each file is loaded, only those rules'
 * `for:` replaced, and dumped again; every other rule and file stays the stack's render.
 * Throws when an alert is not exactly once in the files.
 */
export function withAlertHolds(files: Record<string, string>, holds: Record<string, string>): Record<string, string> {
  const out = { ...files };
  const found: Record<string, number> = Object.fromEntries(Object.keys(holds).map((name) => [name, 0]));
  for (const [file, text] of Object.entries(files)) {
    if (!Object.keys(holds).some((name) => text.includes(`alert: ${name}\n`))) continue;
    const doc = yaml.load(text) as { groups: RuleGroup[] };
    const groups = doc.groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => {
        if (!("alert" in r) || !(r.alert in holds)) return r;
        found[r.alert]++;
        return { ...(r as AlertRule), for: holds[r.alert] };
      }),
    }));
    const changed = Object.entries(holds).map(([name, hold]) => `${name} ${hold}`).join(", ");
    out[file] = `# Holds set for a test: ${changed}.\n${yaml.dump({ groups }, { sortKeys: false, lineWidth: -1, noRefs: true })}`;
  }
  const wrong = Object.entries(found).filter(([, n]) => n !== 1);
  if (wrong.length > 0) throw new Error(`expected each alert once in the rule files, found ${wrong.map(([name, n]) => `${name} ${n} times`).join(", ")}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The Watchdog heartbeat on a real cluster (test/e2e-watchdog.test.ts, bench/alerting.ts)
// ---------------------------------------------------------------------------------------------

/** A Prometheus evaluating the stack's rules, two clustered Alertmanagers and the webhook receiver. */
export interface WatchdogCluster {
  receiver: WebhookReceiverHandle;
  ams: [AlertmanagerHandle, AlertmanagerHandle];
  prometheus: PrometheusHandle;
}

/**
 * Starts the production shape of the Watchdog path: Prometheus evaluating every rendered rule
 * (the Watchdog among them, `vector(1)`, no `for`) and sending to two Alertmanagers that gossip
 * with Alertmanager's default --cluster.peer-timeout (15s, as the stack runs them), fed the
 * rendered alertmanager.yml with `watchdog.repeatInterval: period`. Returns once both members are
 * in a settled cluster of two and Prometheus sends to both.
 *
 * Prometheus's --rules.alert.resend-delay is shortened (default 1m) only so that the Watchdog,
 * dropped while Prometheus has not yet discovered its Alertmanagers, is resent within seconds;
 * a resend of a firing alert only refreshes it in Alertmanager and triggers no flush.
 */
export async function startWatchdogCluster(period: string, opts: { evaluationInterval?: string; resendDelay?: string } = {}): Promise<WatchdogCluster> {
  const receiver = await startWebhookReceiver();
  const definition = alertingDefinition({ watchdogRepeatInterval: period });
  const configText = renderAlertmanagerConfig(parseAlerting(definition), webhookSecrets(definition, receiver.url));
  const am1 = await startAlertmanager({ configText, peers: [] });
  const am2 = await startAlertmanager({ configText, peers: [am1.clusterAddress!] });
  const ams: [AlertmanagerHandle, AlertmanagerHandle] = [am1, am2];
  await Promise.all(
    ams.map((am) =>
      waitFor(
        async () => {
          const c = await am.cluster();
          return c.status === "ready" && c.peers.map((p) => p.address).sort().join() === [am1.clusterAddress, am2.clusterAddress].sort().join();
        },
        60000,
        `${am.address} in a settled cluster of two`,
      ),
    ),
  );
  const prometheus = await startPrometheus({
    configText: renderPrometheusConfig({
      scrapeInterval: "5s",
      evaluationInterval: opts.evaluationInterval ?? "1s",
      externalLabels: { environment: "watchdog" },
      ruleFiles: ["rules/*.yml"],
      alertmanagers: [{ kind: "static", targets: [am1.address, am2.address] }],
      jobs: [],
    }),
    extraArgs: [`--rules.alert.resend-delay=${opts.resendDelay ?? "2s"}`],
    ruleFiles: renderRuleFiles(defaultThresholds),
  });
  await waitFor(
    async () => {
      const data = await prometheus.api<{ activeAlertmanagers: { url: string }[] }>("/api/v1/alertmanagers");
      return data.activeAlertmanagers.map((a) => new URL(a.url).host).sort().join() === [am1.address, am2.address].sort().join();
    },
    30000,
    "Prometheus sending to both Alertmanagers",
  );
  return { receiver, ams, prometheus };
}

/** A firing Watchdog notification at the dead-man's switch: a heartbeat. */
export const isHeartbeat = (n: Notification): boolean =>
  n.payload.receiver === RECEIVERS.deadmansSwitch && n.payload.status === "firing" && n.payload.alerts.some((a) => a.labels.alertname === "Watchdog");

/** The Watchdog heartbeats at the dead-man's switch, in arrival order. */
export function heartbeats(receiver: WebhookReceiverHandle): Notification[] {
  return receiver.matching(isHeartbeat);
}

/** Seconds between consecutive notifications. */
export function intervalsSeconds(ns: readonly Notification[]): number[] {
  return ns.slice(1).map((n, i) => (n.receivedAt - ns[i].receivedAt) / 1000);
}
