import * as yaml from "js-yaml";
import { AlertingConfigInput, AlertingSecrets, requiredSecretKeys, parseAlerting } from "../../components/config/alerting";
import { AlertRule, RuleGroup } from "../../components/render/rules";

/**
 * What the alerting e2e test and `bench/alerting.ts` share: one routing definition in the shape
 * of `exampleAlerting` whose receivers are all webhooks to the in-process receiver, and the rule
 * files with a shorter `TargetDown` hold.
 */

/** Alertmanager timers of the route tree; omitted ones take the schema's defaults (30s, 5m, 4h). */
export interface RouteTimers {
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** The Watchdog route's repeat (and group) interval. Default: the schema's (1m). */
  watchdogRepeatInterval?: string;
}

/** The receivers, each a webhook whose URL is `<receiver url>/<name>`. */
export const RECEIVERS = { default: "default", oncall: "oncall", chat: "chat", deadmansSwitch: "deadmans-switch" } as const;

/**
 * Routing as `exampleAlerting` does it: Watchdog to its dead-man's switch (its own route, added by
 * the renderer), critical pages on-call and continues to chat, warning goes to chat, anything else
 * to the default receiver. `TargetDown` (a warning) must therefore reach `chat`, and only it.
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
        { matchers: ['severity="critical"'], receiver: RECEIVERS.oncall, continue: true },
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
 * `TargetDown`'s hold is a literal `5m` in `rules-infra.ts` (`RuleThresholds` has no field for
 * it), so the rendered `targets.yml` is loaded, only that rule's `for:` replaced, and dumped
 * again; every other rule and file stays byte-for-byte the stack's render.
 */
export function withTargetDownFor(files: Record<string, string>, holdFor: string): Record<string, string> {
  const file = Object.keys(files).find((name) => /TargetDown/.test(files[name]));
  if (!file) throw new Error(`no rule file defines TargetDown (files: ${Object.keys(files).join(", ")})`);
  const doc = yaml.load(files[file]) as { groups: RuleGroup[] };
  let found = 0;
  const groups = doc.groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => {
      if (!("alert" in r) || r.alert !== "TargetDown") return r;
      found++;
      return { ...(r as AlertRule), for: holdFor };
    }),
  }));
  if (found !== 1) throw new Error(`expected one TargetDown rule in ${file}, found ${found}`);
  return { ...files, [file]: `# TargetDown's for: set to ${holdFor} for a test.\n${yaml.dump({ groups }, { sortKeys: false, lineWidth: -1, noRefs: true })}` };
}
