import * as yaml from "js-yaml";
import { AlertingConfigInput, AlertingSecrets, requiredSecretKeys, parseAlerting } from "../../components/config/alerting";
import { AlertRule, RuleGroup } from "../../components/render/rules";

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
  /** The Watchdog route's repeat (and group) interval. Default: the schema's (1m). */
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
