import type * as grafana from "@pulumiverse/grafana";
import type { alerting as In } from "@pulumiverse/grafana/types/input";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as yaml from "js-yaml";
import * as net from "net";
import * as path from "path";
import {
  AlertingConfig,
  AlertingConfigInput,
  AlertingSecrets,
  exampleAlerting,
  formatMatcher,
  parseAlerting,
  requiredSecretKeys,
  watchdogTimers,
} from "../components/alerting/config";
import {
  GrafanaContactPoint,
  GrafanaMatcher,
  GrafanaMuteTiming,
  GrafanaNotificationPolicy,
  GrafanaPolicy,
  matcherOf,
  renderAlertmanagerConfig,
  renderGrafanaContactPoints,
  renderGrafanaMuteTimings,
  renderGrafanaPolicy,
  TEXT_TEMPLATE,
  TITLE_TEMPLATE,
} from "../components/alerting/alertmanager-config";
import { bin, describeWithBinaries } from "./helpers/binaries";
import { run, tempDir } from "./helpers/promtool";

/** Realistic fake credentials: Alertmanager validates URL secrets, so they must look real. */
function fakeSecrets(cfg: AlertingConfig): AlertingSecrets {
  const values: Record<string, string> = {
    slack: "https://hooks.slack.com/services/T000/B000/XXXX",
    webhook: "https://hc-ping.com/0b7f6b0e-4a4c-4a2e-9d0c-000000000000",
    msteams: "https://example.webhook.office.com/webhookb2/0000@0000/IncomingWebhook/0000/0000",
    pagerduty: "R0UT1NGK3Y000000000000000000000",
    opsgenie: "00000000-0000-0000-0000-000000000000",
    email: "smtp-password",
  };
  return Object.fromEntries(requiredSecretKeys(cfg).map((k) => [k, k === "smtp" ? "global-smtp-password" : values[/\.(\w+)\[/.exec(k)![1]]]));
}

/** Every integration, nested routes, mute intervals and inhibit rules. */
const rich: AlertingConfigInput = {
  smtp: { smarthost: "smtp.example.com:587", from: "alertmanager@example.com", authUsername: "alertmanager" },
  receivers: [
    { name: "default", webhook: [{}] },
    {
      name: "oncall",
      pagerduty: [{ severity: "critical" }, {}],
      opsgenie: [{ priority: "P1", responders: [{ type: "team", name: "SRE" }, { type: "user", name: "lead@example.com" }] }, {}],
    },
    { name: "chat", slack: [{ channel: "#alerts", title: "{{ .CommonLabels.alertname }} ({{ .Status }})", sendResolved: false }] },
    { name: "db", email: [{ to: "db@example.com, dba@example.com", smarthost: "mail.example.com:465", from: "db-alerts@example.com", authUsername: "db-alerts", requireTls: false, subject: "DB: {{ .CommonLabels.alertname }}" }], slack: [{ channel: "#team-db" }] },
    { name: "teams", msteams: [{ title: "{{ .CommonLabels.alertname }}" }] },
    { name: "deadmans-switch", webhook: [{ sendResolved: false, maxAlerts: 1 }] },
  ],
  route: {
    receiver: "default",
    groupBy: ["alertname", "cluster"],
    groupWait: "10s",
    groupInterval: "2m",
    repeatInterval: "12h",
    routes: [
      {
        matchers: ['team="db"'],
        receiver: "db",
        groupBy: ["..."],
        routes: [
          { matchers: ['severity="critical"'], receiver: "oncall", continue: true, groupWait: "5s" },
          { matchers: ['env=~"staging|dev"'], muteTimeIntervals: ["nights", "weekends"] },
        ],
      },
      { matchers: ["severity=critical"], receiver: "oncall", continue: true, repeatInterval: "1h" },
      { matchers: ['severity=~"critical|warning"', 'env!="dev"'], receiver: "chat", groupInterval: "10m", muteTimeIntervals: ["weekends"] },
      { matchers: ['team="office"'], receiver: "teams" },
    ],
  },
  inhibitRules: [
    { sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="warning"'], equal: ["alertname", "instance"] },
    { sourceMatchers: ['alertname="TargetDown"'], targetMatchers: ['alertname!="TargetDown"'], equal: ["job", "instance"] },
    { sourceMatchers: ["alertname=ClusterDown"], targetMatchers: ['severity=~"warning|info"'], equal: ["cluster"] },
  ],
  muteTimeIntervals: [
    { name: "nights", timeIntervals: [{ times: [{ start: "00:00", end: "07:00" }], location: "Europe/Berlin" }] },
    { name: "weekends", timeIntervals: [{ weekdays: ["Saturday", "sunday"] }, { weekdays: ["monday:friday"], times: [{ start: "20:00", end: "24:00" }] }] },
    { name: "holidays", timeIntervals: [{ months: ["december"], daysOfMonth: ["24:26", "-1"], years: ["2025:2030"] }] },
  ],
  watchdog: { receiver: "deadmans-switch", repeatInterval: "2m" },
};

const render = (input: AlertingConfigInput) => {
  const cfg = parseAlerting(input);
  return { cfg, text: renderAlertmanagerConfig(cfg, fakeSecrets(cfg)) };
};

describe("alertmanager.yml", () => {
  it("renders the example routing: Watchdog first, severities and teams, default inhibition", () => {
    // GIVEN the example definition, WHEN rendered, THEN the route tree is exactly the intended one.
    const { text } = render(exampleAlerting);
    const am = yaml.load(text) as any;
    expect(am.route).toStrictEqual({
      receiver: "default",
      group_by: ["alertname", "job"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      routes: [
        { receiver: "deadmans-switch", matchers: ['alertname="Watchdog"'], group_wait: "0s", group_interval: "20s", repeat_interval: "47s" },
        { receiver: "oncall", matchers: ['severity="critical"'], continue: true, group_wait: "10s" },
        { receiver: "db", matchers: ['team="db"'] },
        { receiver: "security", matchers: ['team="security"'] },
        { receiver: "chat", matchers: ['severity=~"critical|warning"'] },
      ],
    });
    expect(am.inhibit_rules).toStrictEqual([
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "instance"] },
      { source_matchers: ['alertname="TargetDown"'], target_matchers: ['alertname!="TargetDown"'], equal: ["job", "instance"] },
      { source_matchers: ['alertname="ServiceDown"'], target_matchers: ['alertname!="ServiceDown"'], equal: ["job"] },
    ]);
    expect(am.global).toStrictEqual({
      smtp_smarthost: "smtp.example.com:587",
      smtp_from: "alertmanager@example.com",
      smtp_auth_username: "alertmanager",
      smtp_auth_password: "global-smtp-password",
      smtp_require_tls: true,
    });
    expect(am.receivers.map((r: any) => r.name)).toStrictEqual(["default", "oncall", "chat", "db", "security", "deadmans-switch"]);
    // The deprecated `match`/`source_match` forms never appear.
    expect(text).not.toMatch(/\bmatch:|source_match:|target_match:|match_re:/);
  });

  it("puts each secret into its integration and the notification templates into the messages", () => {
    const { text } = render(rich);
    const am = yaml.load(text) as any;
    const receiver = (name: string) => am.receivers.find((r: any) => r.name === name);
    expect(receiver("default")).toStrictEqual({ name: "default", webhook_configs: [{ url: "https://hc-ping.com/0b7f6b0e-4a4c-4a2e-9d0c-000000000000", send_resolved: true, max_alerts: 0 }] });
    expect(receiver("chat").slack_configs).toStrictEqual([
      { api_url: "https://hooks.slack.com/services/T000/B000/XXXX", channel: "#alerts", title: "{{ .CommonLabels.alertname }} ({{ .Status }})", text: TEXT_TEMPLATE, send_resolved: false },
    ]);
    const [pd0, pd1] = receiver("oncall").pagerduty_configs;
    expect(pd0.routing_key).toBe("R0UT1NGK3Y000000000000000000000");
    expect(pd0.severity).toBe("critical");
    expect(pd1.severity).toContain('eq .CommonLabels.severity "warning"');
    expect(pd0.description).toBe(TITLE_TEMPLATE);
    expect(pd0.details.runbook_url).toBe("{{ .CommonAnnotations.runbook_url }}");
    expect(pd0.send_resolved).toBe(true);
    const [og0, og1] = receiver("oncall").opsgenie_configs;
    expect(og0).toMatchObject({ api_key: "00000000-0000-0000-0000-000000000000", priority: "P1", responders: [{ name: "SRE", type: "team" }, { username: "lead@example.com", type: "user" }] });
    expect(og1.priority).toContain("P1");
    expect(og1).not.toHaveProperty("responders");
    expect(receiver("db").email_configs).toStrictEqual([
      {
        to: "db@example.com, dba@example.com",
        from: "db-alerts@example.com",
        smarthost: "mail.example.com:465",
        auth_username: "db-alerts",
        auth_password: "smtp-password",
        require_tls: false,
        headers: { Subject: "DB: {{ .CommonLabels.alertname }}" },
        text: TEXT_TEMPLATE,
        send_resolved: true,
      },
    ]);
    expect(receiver("teams").msteams_configs).toStrictEqual([{ webhook_url: "https://example.webhook.office.com/webhookb2/0000@0000/IncomingWebhook/0000/0000", title: "{{ .CommonLabels.alertname }}", text: TEXT_TEMPLATE, send_resolved: true }]);
    expect(receiver("deadmans-switch").webhook_configs).toStrictEqual([{ url: "https://hc-ping.com/0b7f6b0e-4a4c-4a2e-9d0c-000000000000", send_resolved: false, max_alerts: 1 }]);
    // Every template names the summary and the runbook.
    expect(TITLE_TEMPLATE).toContain("{{ .CommonAnnotations.summary }}");
    expect(TEXT_TEMPLATE).toContain("{{ .CommonAnnotations.summary }}");
    expect(TEXT_TEMPLATE).toContain("{{ .CommonAnnotations.runbook_url }}");
  });

  it("renders nested routes, mute intervals and normalised matchers", () => {
    const am = yaml.load(render(rich).text) as any;
    expect(am.route.routes[1]).toStrictEqual({
      receiver: "db",
      matchers: ['team="db"'],
      group_by: ["..."],
      routes: [
        { receiver: "oncall", matchers: ['severity="critical"'], continue: true, group_wait: "5s" },
        { matchers: ['env=~"staging|dev"'], mute_time_intervals: ["nights", "weekends"] },
      ],
    });
    // An unquoted matcher is rendered in the quoted form every matcher parser of Alertmanager reads alike.
    expect(am.route.routes[2].matchers).toStrictEqual(['severity="critical"']);
    expect(am.inhibit_rules[2].source_matchers).toStrictEqual(['alertname="ClusterDown"']);
    expect(am.time_intervals).toStrictEqual([
      { name: "nights", time_intervals: [{ times: [{ start_time: "00:00", end_time: "07:00" }], location: "Europe/Berlin" }] },
      { name: "weekends", time_intervals: [{ weekdays: ["saturday", "sunday"] }, { times: [{ start_time: "20:00", end_time: "24:00" }], weekdays: ["monday:friday"] }] },
      { name: "holidays", time_intervals: [{ days_of_month: ["24:26", "-1"], months: ["december"], years: ["2025:2030"] }] },
    ]);
    expect(am).not.toHaveProperty("mute_time_intervals");
  });

  it("renders the same bytes for the same input", () => {
    expect(render(rich).text).toBe(render(JSON.parse(JSON.stringify(rich))).text);
  });

  it("escapes quotes and backslashes in matcher values", () => {
    const cfg = parseAlerting({ receivers: [{ name: "a", webhook: [{}] }], route: { routes: [{ matchers: ['path=~"/api/\\\\w+\\"x"'] }] } });
    const am = yaml.load(renderAlertmanagerConfig(cfg, { "a.webhook[0]": "https://example.com/hook" })) as any;
    expect(am.route.routes[0].matchers).toStrictEqual(['path=~"/api/\\\\w+\\"x"']);
    expect(matcherOf(am.route.routes[0].matchers[0]).value).toBe('/api/\\w+"x');
  });

  it("refuses to render without a secret, naming the key", () => {
    const cfg = parseAlerting(exampleAlerting);
    const secrets = fakeSecrets(cfg);
    delete secrets["oncall.pagerduty[0]"];
    expect(() => renderAlertmanagerConfig(cfg, secrets)).toThrow('alertmanager.yml needs the secret "oncall.pagerduty[0]"; it was not given');
  });

  it("refuses a URL secret that is not a URL, without printing the value", () => {
    const cfg = parseAlerting(exampleAlerting);
    const secrets = { ...fakeSecrets(cfg), "chat.slack[0]": "xoxb-not-a-url" };
    expect(() => renderAlertmanagerConfig(cfg, secrets)).toThrow(/^the secret "chat\.slack\[0\]" is not an http\(s\) URL$/);
  });
});

// ---------------------------------------------------------------------------------------------
// The Watchdog route: timers that make the heartbeat period what the config says
// ---------------------------------------------------------------------------------------------

const withWatchdogPeriod = (period: string): AlertingConfigInput => ({ ...exampleAlerting, watchdog: { receiver: "deadmans-switch", repeatInterval: period } });

describe("the Watchdog route", () => {
  it.each<[string, string, string]>([
    ["40s", "20s", "27s"],
    ["45s", "22s500ms", "32s"],
    ["1m", "20s", "47s"],
    ["90s", "22s500ms", "1m17s"],
    ["1m10s", "35s", "57s"],
    ["2m", "20s", "1m47s"],
    ["5m", "20s", "4m47s"],
    ["1h", "20s", "59m47s"],
    ["1d", "20s", "23h59m47s"],
  ])("renders a %s heartbeat period as group_wait 0s, group_interval %s, repeat_interval %s", (period, groupInterval, repeatInterval) => {
    const { cfg, text } = render(withWatchdogPeriod(period));
    const am = yaml.load(text) as any;
    const watchdogRoute = { receiver: "deadmans-switch", matchers: ['alertname="Watchdog"'], group_wait: "0s", group_interval: groupInterval, repeat_interval: repeatInterval };
    expect(am.route.routes[0]).toStrictEqual(watchdogRoute);
    // Grafana's notification policy gets the same timers.
    expect(renderGrafanaPolicy(cfg).policies[0]).toStrictEqual({
      contactPoint: "deadmans-switch",
      matchers: [{ label: "alertname", match: "=", value: "Watchdog" }],
      groupWait: "0s",
      groupInterval,
      repeatInterval,
    });
  });

  it("renders no Watchdog route without a receiver: the Watchdog then follows the route tree", () => {
    const am = yaml.load(render({ ...exampleAlerting, watchdog: { repeatInterval: "2m" } }).text) as any;
    expect(am.route.routes.map((r: any) => r.receiver)).toStrictEqual(["oncall", "db", "security", "chat"]);
  });

  it("splits every period into n >= 2 equal group intervals above the cluster peer timeout, with P - G < repeat < P", () => {
    // Every whole-second period from the shortest (40s) to 10m, and some long ones.
    const periods = [...Array.from({ length: 561 }, (_, i) => 40 + i), 3600, 86400 + 1];
    for (const p of periods) {
      const t = watchdogTimers(`${p}s`);
      const n = p / t.groupIntervalSeconds;
      const facts = {
        p,
        wholeFlushes: Math.abs(n - Math.round(n)) < 1e-9 && n >= 2,
        // prometheus/alertmanager#2447: a group interval at or below the 15s peer timeout re-sends stale notifications.
        aboveTheRoomyPeerTimeout: t.groupIntervalSeconds >= 20,
        repeatBetween: p - t.groupIntervalSeconds < t.repeatIntervalSeconds && t.repeatIntervalSeconds < p,
        // What the second replica needs never to send early: its due ticks come after P - G + (G - peer timeout).
        secondReplicaNeverEarly: t.repeatIntervalSeconds - (p - t.groupIntervalSeconds) >= t.groupIntervalSeconds - 15,
        // Grafana's policy form wants repeat >= group.
        repeatAtLeastGroup: t.repeatIntervalSeconds >= t.groupIntervalSeconds,
        // The rendered texts say the same as the numbers.
        texts: durationSecondsOf(t.groupInterval) === t.groupIntervalSeconds && durationSecondsOf(t.repeatInterval) === t.repeatIntervalSeconds,
      };
      expect(facts).toStrictEqual({ p, wholeFlushes: true, aboveTheRoomyPeerTimeout: true, repeatBetween: true, secondReplicaNeverEarly: true, repeatAtLeastGroup: true, texts: true });
    }
  });

  it("states the bounds the runbook gives the dead-man's switch", () => {
    expect(watchdogTimers("1m")).toStrictEqual({
      groupWait: "0s",
      groupInterval: "20s",
      repeatInterval: "47s",
      periodSeconds: 60,
      groupIntervalSeconds: 20,
      repeatIntervalSeconds: 47,
      handoverMinSeconds: 47,
      handoverMaxSeconds: 82,
      graceSeconds: 35,
    });
  });

  it("matches the table the Watchdog runbook gives the dead-man's switch", () => {
    const text = fs.readFileSync(path.join(__dirname, "..", "docs", "runbooks", "Watchdog.md"), "utf8");
    const rows = [...text.matchAll(/^\| (\S+)(?: \(default\))? \| (\S+) \| (\S+) \| (\S+) \| (\d+) s \| (\d+) s \|$/gm)].map((m) => m.slice(1));
    expect(rows.map((r) => r[0])).toStrictEqual(["40s", "1m", "2m", "5m"]);
    for (const [period, groupWait, groupInterval, repeatInterval, latest, grace] of rows) {
      const t = watchdogTimers(period);
      expect([groupWait, groupInterval, repeatInterval, Number(latest), Number(grace)]).toStrictEqual([t.groupWait, t.groupInterval, t.repeatInterval, t.handoverMaxSeconds, t.graceSeconds]);
    }
  });

  it("refuses to render a period the schema rejects, naming the field", () => {
    expect(() => watchdogTimers("30s")).toThrow(/^watchdog\.repeatInterval "30s" must be at least 40s/);
  });
});

function durationSecondsOf(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|h|m|s)/g)) total += Number(n) * units[unit];
  return Math.round(total * 1000) / 1000;
}

/**
 * A model of how Alertmanager 0.35 paces re-sends of a still-firing group, for the Watchdog route
 * of every replica of a cluster (the same model `watchdogTimers` is designed with; the real
 * processes are measured in test/e2e-watchdog.test.ts and `npm run bench:alerting`):
 *
 * - dispatch/dispatch.go `aggrGroup.run`: a flush starts when the group's timer fires (or when the
 *   previous flush ends, if later) and immediately re-arms the timer for group_interval; the
 *   flush's `now` is the timer's time.
 * - notify/cluster_stages.go + app/cluster.go: the replica at position k (peer names sorted; a
 *   killed peer counts until failure detection) waits k x peer_timeout before its dedup.
 * - notify/dedup_stage.go `needsUpdate`: a still-firing group is re-sent only if the last
 *   notification-log entry is older than repeat_interval, strictly, as of `now`; nflog.Log stamps
 *   the entry when the send has finished, and gossip carries it to the other replicas.
 */
interface ModelReplica {
  /** Seconds after the first replica's group started that this one's did (its timer phase). */
  phase: number;
  /** SIGKILLed at this second. Default: never. */
  diesAt?: number;
}

interface ModelOptions {
  groupInterval: number;
  repeatInterval: number;
  peerTimeout: number;
  /** In peer-name order: replicas[0] is position 0. */
  replicas: ModelReplica[];
  until: number;
  /** Seconds a send takes (the entry is stamped after it). */
  delivery?: number;
  /** Seconds for a log entry to reach the other replicas. */
  gossip?: number;
  /** Seconds from a kill until the others stop counting the peer (memberlist, ~5 s). */
  detection?: number;
}

function simulateHeartbeats(o: ModelOptions): { at: number; by: number }[] {
  const delivery = o.delivery ?? 0.05;
  const gossip = o.gossip ?? 0.2;
  const detection = o.detection ?? 6;
  const entries: { ts: number; by: number }[] = [];
  const sent: { at: number; by: number }[] = [];
  type Event = { t: number; kind: "tick"; r: number; now: number } | { t: number; kind: "dedup"; r: number; now: number; start: number };
  const queue: Event[] = o.replicas.map((rep, r) => ({ t: rep.phase, kind: "tick", r, now: rep.phase }));
  const alive = (r: number, t: number) => o.replicas[r].diesAt === undefined || t < o.replicas[r].diesAt!;
  const counted = (r: number, t: number) => o.replicas[r].diesAt === undefined || t < o.replicas[r].diesAt! + detection;
  while (queue.length > 0) {
    queue.sort((a, b) => a.t - b.t);
    const e = queue.shift()!;
    if (e.t > o.until || !alive(e.r, e.t)) continue;
    if (e.kind === "tick") {
      const position = o.replicas.filter((_, j) => j < e.r && counted(j, e.t)).length;
      queue.push({ t: e.t + position * o.peerTimeout, kind: "dedup", r: e.r, now: e.now, start: e.t });
      continue;
    }
    // A replica killed before its entry's gossip round never sends it.
    const visible = entries.filter((x) => (x.by === e.r ? x.ts <= e.t : x.ts + gossip <= e.t && alive(x.by, x.ts + gossip)));
    const last = visible.length > 0 ? Math.max(...visible.map((x) => x.ts)) : undefined;
    const due = last === undefined || last < e.now - o.repeatInterval;
    if (due) {
      entries.push({ ts: e.t + delivery, by: e.r });
      sent.push({ at: e.t + delivery, by: e.r });
    }
    // The timer was re-armed when the flush started; a flush still running delays the next one.
    const nextFire = e.start + o.groupInterval;
    queue.push({ t: Math.max(nextFire, e.t + (due ? delivery : 0)), kind: "tick", r: e.r, now: nextFire });
  }
  return sent.sort((a, b) => a.at - b.at);
}

const gaps = (beats: { at: number }[]) => beats.slice(1).map((b, i) => Math.round((b.at - beats[i].at) * 1000) / 1000);

describe("heartbeat model of Alertmanager 0.35 (flush ticks, cluster wait, strict repeat check)", () => {
  const P = 60;
  const t = watchdogTimers("1m");
  const ours = { groupInterval: t.groupIntervalSeconds, repeatInterval: t.repeatIntervalSeconds, peerTimeout: 15 };
  /** Phases of the second replica: a few ms (Prometheus sends to both at once), around G - W (5 s) and up to G. */
  const PHASES = [0.001, 0.03, 0.5, 3, 4.9, 5.1, 6.9, 7.1, 10, 15, 19.9];

  it("one Alertmanager: a heartbeat every period exactly", () => {
    const beats = simulateHeartbeats({ ...ours, replicas: [{ phase: 0 }], until: 20 * P });
    expect(new Set(gaps(beats))).toStrictEqual(new Set([P]));
  });

  it.each(PHASES)("two gossiping replicas, the second %ss out of phase: every period exactly, from the first only", (phase) => {
    const beats = simulateHeartbeats({ ...ours, replicas: [{ phase: 0 }, { phase }], until: 20 * P });
    expect(new Set(gaps(beats))).toStrictEqual(new Set([P]));
    expect(new Set(beats.map((b) => b.by))).toStrictEqual(new Set([0]));
  });

  it("the old route (group_interval = repeat_interval = period) beats every 75-105 s in a cluster, 120 s alone", () => {
    const old = { groupInterval: P, repeatInterval: P, peerTimeout: 15 };
    expect(new Set(gaps(simulateHeartbeats({ ...old, replicas: [{ phase: 0 }, { phase: 0.5 }], until: 20 * P })))).toStrictEqual(new Set([75.5, 104.5]));
    expect(new Set(gaps(simulateHeartbeats({ ...old, replicas: [{ phase: 0 }], until: 20 * P })))).toStrictEqual(new Set([2 * P]));
  });

  it("repeat_interval = period - group_interval alone is not enough: the second replica's held flush sends early", () => {
    const naive = { groupInterval: 20, repeatInterval: P - 20, peerTimeout: 15 };
    expect(new Set(gaps(simulateHeartbeats({ ...naive, replicas: [{ phase: 0 }, { phase: 0.5 }], until: 20 * P })))).toStrictEqual(new Set([55.5, 44.5]));
  });

  it.each(PHASES)("the sender killed right after a heartbeat, the survivor %ss out of phase: one beat in (repeat, repeat + group], then every period", (phase) => {
    const beats = simulateHeartbeats({ ...ours, replicas: [{ phase: 0, diesAt: 5 * P + 1 }, { phase }], until: 20 * P });
    const [before, after] = [beats.filter((b) => b.at < 5 * P + 1), beats.filter((b) => b.at >= 5 * P + 1)];
    const handover = after[0].at - before[before.length - 1].at;
    expect(handover).toBeGreaterThan(t.handoverMinSeconds);
    expect(handover).toBeLessThanOrEqual(t.repeatIntervalSeconds + t.groupIntervalSeconds + 0.1);
    expect(new Set(gaps(after))).toStrictEqual(new Set([P]));
    expect(new Set(after.map((b) => b.by))).toStrictEqual(new Set([1]));
  });

  it.each([0.001, 3, 10])("the sender killed before it gossiped its last heartbeat, the survivor %ss out of phase: the survivor repeats it one peer timeout later, then P + G - W, then every period", (phase) => {
    const lastBeat = 5 * P + 0.05;
    const beats = simulateHeartbeats({ ...ours, replicas: [{ phase: 0, diesAt: lastBeat + 0.1 }, { phase }], until: 20 * P });
    const after = beats.filter((b) => b.at > lastBeat);
    const [repeat, next, ...steady] = gaps([{ at: lastBeat }, ...after]);
    // Its first due tick (after the previous, gossiped beat + repeat_interval) is held a peer timeout
    // while it still counts the dead sender, and then finds no newer entry.
    const heldTick = 4 * P + 0.05 + t.repeatIntervalSeconds < 5 * P - t.groupIntervalSeconds + phase ? 5 * P - t.groupIntervalSeconds + phase : 5 * P + phase;
    expect(repeat).toBeCloseTo(heldTick + 15 - 5 * P, 6);
    expect(next).toBeCloseTo(P + t.groupIntervalSeconds - 15, 6);
    expect(Math.max(repeat, next)).toBeLessThanOrEqual(t.handoverMaxSeconds);
    expect(new Set(steady)).toStrictEqual(new Set([P]));
  });

  it.each<[number, number]>([
    [0.5, 0.5],
    [3, 0.5],
    [3, 2.5],
    [5, 0.5],
  ])("the survivor %ss out of phase, the sender killed %ss before its next heartbeat (within failure detection of the survivor's due tick): that beat is held a peer timeout, within handoverMax", (phase, x) => {
    const lastBeat = 5 * P + 0.05;
    const beats = simulateHeartbeats({ ...ours, replicas: [{ phase: 0, diesAt: 6 * P - x }, { phase }], until: 20 * P });
    const after = beats.filter((b) => b.at > lastBeat);
    const [handover, next, ...steady] = gaps([{ at: lastBeat }, ...after]);
    // Due at its tick 6P + phase, the survivor still counts the dead sender (position 1) and holds the flush 15 s.
    expect(handover).toBeCloseTo(P + phase + 15, 6);
    expect(handover).toBeLessThanOrEqual(t.handoverMaxSeconds);
    // Its next due tick is the first more than repeat_interval after that held send: P + G - W later.
    expect(next).toBeCloseTo(P + t.groupIntervalSeconds - 15, 6);
    expect(new Set(steady)).toStrictEqual(new Set([P]));
  });
});

// ---------------------------------------------------------------------------------------------
// Grafana
// ---------------------------------------------------------------------------------------------

type Item<T> = NonNullable<T> extends (infer U)[] ? U : never;
/** `true` only when every key of A is a key of B. */
type KeysWithin<A, B> = [Exclude<keyof A, keyof B>] extends [never] ? true : false;

/** One node of a routing tree, in a form both renderings reduce to. */
interface Node {
  receiver?: string;
  matchers: string[];
  continue: boolean;
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  mute: string[];
  routes: Node[];
}

function fromAlertmanager(r: any): Node {
  return {
    receiver: r.receiver,
    matchers: r.matchers ?? [],
    continue: r.continue ?? false,
    groupBy: r.group_by,
    groupWait: r.group_wait,
    groupInterval: r.group_interval,
    repeatInterval: r.repeat_interval,
    mute: r.mute_time_intervals ?? [],
    routes: (r.routes ?? []).map(fromAlertmanager),
  };
}

function fromGrafana(p: GrafanaPolicy): Node {
  return {
    receiver: p.contactPoint,
    matchers: (p.matchers ?? []).map((m) => formatMatcher({ label: m.label, op: m.match as "=", value: m.value })),
    continue: p.continue ?? false,
    groupBy: p.groupBies,
    groupWait: p.groupWait,
    groupInterval: p.groupInterval,
    repeatInterval: p.repeatInterval,
    mute: p.muteTimings ?? [],
    routes: (p.policies ?? []).map(fromGrafana),
  };
}

describe("Grafana contact points and notification policy", () => {
  it.each<[string, AlertingConfigInput]>([
    ["the example", exampleAlerting],
    ["the rich config", rich],
    ["the default", {}],
  ])("gives %s the same routing tree as alertmanager.yml", (_name, input) => {
    const { cfg, text } = render(input);
    const am = yaml.load(text) as any;
    const policy = renderGrafanaPolicy(cfg);
    expect(fromGrafana({ ...policy, matchers: [] })).toStrictEqual(fromAlertmanager(am.route));
    expect(renderGrafanaContactPoints(cfg).map((c) => c.name)).toStrictEqual(am.receivers.map((r: any) => r.name));
    expect(renderGrafanaMuteTimings(cfg).map((m) => m.name)).toStrictEqual((am.time_intervals ?? []).map((t: any) => t.name));
  });

  it("fills Grafana's required groupBies at its deepest level with the inherited grouping", () => {
    const deep = (n: number): any => (n === 0 ? { matchers: ['a="1"'] } : { routes: [deep(n - 1)] });
    const cfg = parseAlerting({ receivers: [{ name: "a", webhook: [{}] }], route: { groupBy: ["alertname", "cluster"], routes: [deep(4)] } });
    let level: GrafanaPolicy = renderGrafanaPolicy(cfg).policies[0];
    for (let i = 1; i < 5; i++) {
      expect(level.groupBies).toBeUndefined();
      level = level.policies![0];
    }
    expect(level).toStrictEqual({ matchers: [{ label: "a", match: "=", value: "1" }], groupBies: ["alertname", "cluster"] });
  });

  it("maps every integration onto the provider's fields, secrets as their keys", () => {
    const points = renderGrafanaContactPoints(parseAlerting(rich));
    expect(points.find((p) => p.name === "oncall")).toStrictEqual({
      name: "oncall",
      pagerduties: [
        { integrationKey: "oncall.pagerduty[0]", severity: "critical", summary: TITLE_TEMPLATE, details: { runbook_url: "{{ .CommonAnnotations.runbook_url }}", summary: "{{ .CommonAnnotations.summary }}" }, disableResolveMessage: false },
        expect.objectContaining({ integrationKey: "oncall.pagerduty[1]" }),
      ],
      opsgenies: [
        { apiKey: "oncall.opsgenie[0]", message: TITLE_TEMPLATE, description: TEXT_TEMPLATE, autoClose: true, responders: [{ type: "team", name: "SRE" }, { type: "user", username: "lead@example.com" }], disableResolveMessage: false },
        { apiKey: "oncall.opsgenie[1]", message: TITLE_TEMPLATE, description: TEXT_TEMPLATE, autoClose: true, disableResolveMessage: false },
      ],
    });
    expect(points.find((p) => p.name === "db")).toStrictEqual({
      name: "db",
      emails: [{ addresses: ["db@example.com", "dba@example.com"], subject: "DB: {{ .CommonLabels.alertname }}", message: TEXT_TEMPLATE, singleEmail: true, disableResolveMessage: false }],
      slacks: [{ url: "db.slack[0]", recipient: "#team-db", title: TITLE_TEMPLATE, text: TEXT_TEMPLATE, disableResolveMessage: false }],
    });
    expect(points.find((p) => p.name === "chat")!.slacks![0].disableResolveMessage).toBe(true);
    expect(points.find((p) => p.name === "teams")).toStrictEqual({ name: "teams", teams: [{ url: "teams.msteams[0]", title: "{{ .CommonLabels.alertname }}", message: TEXT_TEMPLATE, disableResolveMessage: false }] });
    expect(points.find((p) => p.name === "deadmans-switch")).toStrictEqual({ name: "deadmans-switch", webhooks: [{ url: "deadmans-switch.webhook[0]", maxAlerts: 1, disableResolveMessage: true }] });
  });

  it("lets the caller substitute the secrets, e.g. with Pulumi Outputs", () => {
    const cfg = parseAlerting(exampleAlerting);
    const points = renderGrafanaContactPoints(cfg, (key) => ({ secret: key }));
    expect(points.find((p) => p.name === "chat")!.slacks![0].url).toStrictEqual({ secret: "chat.slack[0]" });
  });

  it("renders mute timings with the provider's field names", () => {
    expect(renderGrafanaMuteTimings(parseAlerting(rich))).toStrictEqual([
      { name: "nights", intervals: [{ times: [{ start: "00:00", end: "07:00" }], location: "Europe/Berlin" }] },
      { name: "weekends", intervals: [{ weekdays: ["saturday", "sunday"] }, { times: [{ start: "20:00", end: "24:00" }], weekdays: ["monday:friday"] }] },
      { name: "holidays", intervals: [{ daysOfMonths: ["24:26", "-1"], months: ["december"], years: ["2025:2030"] }] },
    ]);
  });

  it("produces values the provider's argument types accept", () => {
    // Compile-time: tsc fails here if a field name or type drifts from @pulumiverse/grafana 2.40.
    // Assignability alone would let a misspelt optional field through, hence the key checks.
    const keysWithin: [
      KeysWithin<GrafanaContactPoint<string>, grafana.alerting.ContactPointArgs>,
      KeysWithin<Item<GrafanaContactPoint<string>["emails"]>, In.ContactPointEmail>,
      KeysWithin<Item<GrafanaContactPoint<string>["slacks"]>, In.ContactPointSlack>,
      KeysWithin<Item<GrafanaContactPoint<string>["pagerduties"]>, In.ContactPointPagerduty>,
      KeysWithin<Item<GrafanaContactPoint<string>["opsgenies"]>, In.ContactPointOpsgeny>,
      KeysWithin<Item<GrafanaContactPoint<string>["teams"]>, In.ContactPointTeam>,
      KeysWithin<Item<GrafanaContactPoint<string>["webhooks"]>, In.ContactPointWebhook>,
      KeysWithin<GrafanaNotificationPolicy, grafana.alerting.NotificationPolicyArgs>,
      KeysWithin<GrafanaPolicy, In.NotificationPolicyPolicy>,
      KeysWithin<GrafanaMatcher, In.NotificationPolicyPolicyMatcher>,
      KeysWithin<GrafanaMuteTiming, grafana.alerting.MuteTimingArgs>,
      KeysWithin<Item<GrafanaMuteTiming["intervals"]>, In.MuteTimingInterval>,
    ] = [true, true, true, true, true, true, true, true, true, true, true, true];
    expect(keysWithin.every(Boolean)).toBe(true);
    const cfg = parseAlerting(rich);
    const points: grafana.alerting.ContactPointArgs[] = renderGrafanaContactPoints(cfg);
    const policy: grafana.alerting.NotificationPolicyArgs = renderGrafanaPolicy(cfg);
    const timings: grafana.alerting.MuteTimingArgs[] = renderGrafanaMuteTimings(cfg);
    expect([points.length, timings.length, policy.contactPoint]).toStrictEqual([6, 3, "default"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The pinned amtool
// ---------------------------------------------------------------------------------------------

/** Writes the config and runs `amtool check-config` on it as rendered (msteams_configs included). */
function amtoolCheck(text: string): { code: number; output: string } {
  const dir = tempDir("amtool");
  const file = path.join(dir, "alertmanager.yml");
  fs.writeFileSync(file, text);
  const result = run("amtool", ["check-config", file]);
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

describeWithBinaries("alertmanager.yml under the pinned amtool", ["amtool"], () => {
  it.each<[string, AlertingConfigInput]>([
    ["the default", {}],
    ["the example", exampleAlerting],
    ["the rich config", rich],
    ["a 90s Watchdog period (group interval 22s500ms)", { ...exampleAlerting, watchdog: { receiver: "deadmans-switch", repeatInterval: "90s" } }],
  ])("amtool check-config accepts %s", (_name, input) => {
    const result = amtoolCheck(render(input).text);
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it("amtool check-config rejects what the renderer must never produce (the check can fail)", () => {
    const { text } = render(exampleAlerting);
    const broken = text.replace("receiver: chat", "receiver: nobody");
    const result = amtoolCheck(broken);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('undefined receiver "nobody"');
  });

  describe("routing of the example with amtool config routes test", () => {
    let dir: string;
    let file: string;
    beforeAll(() => {
      dir = tempDir("amtool-routes");
      file = path.join(dir, "alertmanager.yml");
      fs.writeFileSync(file, render(exampleAlerting).text);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it.each<[string, string[], string]>([
      ["a critical alert pages on-call and reaches chat", ["alertname=HighErrorRate", "severity=critical", "job=api"], "oncall,chat"],
      ["a warning goes to chat only", ["alertname=HighLatency", "severity=warning", "job=api"], "chat"],
      ["a team=db warning goes to the db team", ["alertname=PostgresReplicationLag", "severity=warning", "team=db"], "db"],
      ["a team=db critical pages on-call and reaches the db team", ["alertname=PostgresDown", "severity=critical", "team=db"], "oncall,db"],
      ["a security alert goes to the security team", ["alertname=AuthFailures", "severity=warning", "team=security"], "security"],
      ["Watchdog goes to its dead-man's switch only", ["alertname=Watchdog", "severity=none"], "deadmans-switch"],
      ["Watchdog is not taken by the severity routes", ["alertname=Watchdog", "severity=critical"], "deadmans-switch"],
      ["an info alert falls through to the default receiver", ["alertname=CertificateExpiresSoon", "severity=info"], "default"],
    ])("%s", (_name, labels, receivers) => {
      const result = run("amtool", ["config", "routes", "test", `--config.file=${file}`, `--verify.receivers=${receivers}`, ...labels]);
      expect(result.output).toContain(receivers);
      expect(result.code).toBe(0);
    });

    it("fails verification for a wrong expectation (the check can fail)", () => {
      const result = run("amtool", ["config", "routes", "test", `--config.file=${file}`, "--verify.receivers=chat", "alertname=X", "severity=critical"]);
      expect(result.output).toContain("Expected receivers did not match");
      expect(result.code).not.toBe(0);
    });
  });

  it("routes the rich config's nested routes as intended", () => {
    const dir = tempDir("amtool-routes");
    const file = path.join(dir, "alertmanager.yml");
    fs.writeFileSync(file, render(rich).text);
    const routed = (...labels: string[]) => run("amtool", ["config", "routes", "test", `--config.file=${file}`, ...labels]).output.trim().split("\n").pop();
    try {
      // The nested critical route continues, but a matching child replaces its parent's receiver.
      expect(routed("team=db", "severity=critical")).toBe("oncall");
      // A child route without a receiver inherits its parent's.
      expect(routed("team=db", "env=staging")).toBe("db");
      expect(routed("severity=warning", "env=dev")).toBe("default");
      expect(routed("severity=warning", "env=prod")).toBe("chat");
      expect(routed("team=office")).toBe("teams");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The pinned Alertmanager, delivering to a local capture server: the templates really render
// ---------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeWithBinaries("notifications from the pinned Alertmanager", ["alertmanager"], () => {
  const received: { path: string; body: any }[] = [];
  let capture: http.Server;
  let am: ChildProcess | undefined;
  let amUrl: string;
  let dir: string;
  let amLog = "";

  beforeAll(async () => {
    capture = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ path: req.url ?? "", body: JSON.parse(body) });
        res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
      });
    });
    await new Promise<void>((r) => capture.listen(0, "127.0.0.1", r));
    const capturePort = (capture.address() as net.AddressInfo).port;

    const cfg = parseAlerting({
      receivers: [
        { name: "chat", slack: [{ channel: "#alerts" }] },
        { name: "db", webhook: [{}] },
      ],
      // Short timers so the test sees the first notification and the resolution within seconds.
      route: { groupWait: "1s", groupInterval: "1s", repeatInterval: "1h", routes: [{ matchers: ['team="db"'], receiver: "db" }] },
    });
    dir = tempDir("alertmanager");
    fs.writeFileSync(
      path.join(dir, "alertmanager.yml"),
      renderAlertmanagerConfig(cfg, { "chat.slack[0]": `http://127.0.0.1:${capturePort}/slack`, "db.webhook[0]": `http://127.0.0.1:${capturePort}/webhook` }),
    );
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    am = spawn(
      bin("alertmanager"),
      [`--config.file=${path.join(dir, "alertmanager.yml")}`, `--storage.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=warn"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    am.stdout!.on("data", (d) => (amLog += d));
    am.stderr!.on("data", (d) => (amLog += d));
    await waitFor(`Alertmanager to be ready (${amLog})`, async () => ((await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined));
  });

  afterAll(async () => {
    if (am && am.exitCode === null) {
      am.kill("SIGTERM");
      await new Promise((r) => am!.once("exit", r));
    }
    await new Promise((r) => capture.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const alert = (instance: string, extra: Record<string, string> = {}, endsAt?: string) => ({
    labels: { alertname: "HighErrorRate", job: "api", severity: "critical", instance, ...extra },
    annotations: { summary: "API error rate above 5%", description: `7% of requests to ${instance} fail`, runbook_url: "https://runbooks.example.com/HighErrorRate" },
    ...(endsAt ? { endsAt } : {}),
  });
  const post = async (alerts: unknown[]) => {
    const res = await fetch(`${amUrl}/api/v2/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(alerts) });
    expect(res.status).toBe(200);
  };

  it("sends Slack a title with the summary and a text with the runbook and every instance, then the resolution", async () => {
    await post([alert("api-1:8080"), alert("api-2:8080")]);
    const firing = await waitFor("the Slack notification", () => received.find((r) => r.path === "/slack"));
    expect(firing.body.channel).toBe("#alerts");
    expect(firing.body.attachments[0].title).toBe("[FIRING:2] HighErrorRate: API error rate above 5%");
    expect(firing.body.attachments[0].text).toBe(
      "API error rate above 5%\nRunbook: https://runbooks.example.com/HighErrorRate\n- [firing] api-1:8080: 7% of requests to api-1:8080 fail\n- [firing] api-2:8080: 7% of requests to api-2:8080 fail\n",
    );

    const past = new Date(Date.now() - 1000).toISOString();
    await post([alert("api-1:8080", {}, past), alert("api-2:8080", {}, past)]);
    const resolved = await waitFor("the Slack resolution", () => received.find((r) => r.path === "/slack" && r.body.attachments[0].title.startsWith("[RESOLVED]")));
    expect(resolved.body.attachments[0].title).toBe("[RESOLVED] HighErrorRate: API error rate above 5%");
  });

  it("sends a team=db alert to the db team's webhook with its runbook, not to Slack", async () => {
    const before = received.filter((r) => r.path === "/slack").length;
    await post([alert("db-1:5432", { alertname: "PostgresDown", team: "db" })]);
    const hook = await waitFor("the webhook notification", () => received.find((r) => r.path === "/webhook"));
    expect(hook.body.receiver).toBe("db");
    expect(hook.body.alerts.map((a: any) => [a.labels.alertname, a.annotations.runbook_url])).toStrictEqual([["PostgresDown", "https://runbooks.example.com/HighErrorRate"]]);
    expect(received.filter((r) => r.path === "/slack").length).toBe(before);
  });
});
