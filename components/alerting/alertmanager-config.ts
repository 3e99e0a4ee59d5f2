import * as yaml from "js-yaml";
import {
  AlertingConfig,
  AlertingSecrets,
  formatMatcher,
  Integration,
  INTEGRATIONS,
  Matcher,
  parseMatcher,
  Receiver,
  Route,
  secretKey,
  SMTP_SECRET_KEY,
  watchdogTimers,
} from "./config";

/**
 * Pure renderers of one alert-routing definition: `alertmanager.yml`, and the same receivers and
 * route tree as the arguments of `@pulumiverse/grafana`'s `alerting.ContactPoint`,
 * `alerting.NotificationPolicy` and `alerting.MuteTiming`. No Pulumi in here.
 */

// ---------------------------------------------------------------------------------------------
// Notification templates (Go templates; Alertmanager and Grafana share this data model)
// ---------------------------------------------------------------------------------------------

/**
 * `[FIRING:2] HighErrorRate: API error rate above 5%`. The alert name is a common label because
 * the default grouping is by alertname; the summary is there when the group's alerts share it.
 */
export const TITLE_TEMPLATE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}{{ if .CommonAnnotations.summary }}: {{ .CommonAnnotations.summary }}{{ end }}';

/**
 * The summary and runbook of the group, then one line per alert. Every alert carries a
 * `runbook_url`; when the alerts of a group do not share one, each line carries its own.
 */
export const TEXT_TEMPLATE = [
  "{{ if .CommonAnnotations.summary }}{{ .CommonAnnotations.summary }}\n{{ end }}",
  "{{ if .CommonAnnotations.runbook_url }}Runbook: {{ .CommonAnnotations.runbook_url }}\n{{ end }}",
  "{{ range .Alerts }}- [{{ .Status }}] {{ if .Labels.instance }}{{ .Labels.instance }}: {{ end }}",
  "{{ if .Annotations.description }}{{ .Annotations.description }}{{ else }}{{ .Annotations.summary }}{{ end }}",
  "{{ if not $.CommonAnnotations.runbook_url }}{{ if .Annotations.runbook_url }} (runbook: {{ .Annotations.runbook_url }}){{ end }}{{ end }}\n{{ end }}",
].join("");

/** PagerDuty accepts only these four; an alert's `severity` label maps onto them, else `critical`. */
export const PAGERDUTY_SEVERITY_TEMPLATE =
  '{{ if eq .CommonLabels.severity "warning" }}warning{{ else if eq .CommonLabels.severity "info" }}info{{ else if eq .CommonLabels.severity "error" }}error{{ else }}critical{{ end }}';

/** Opsgenie priority from the `severity` label: critical pages (P1), warning is P3, the rest P5. */
export const OPSGENIE_PRIORITY_TEMPLATE = '{{ if eq .CommonLabels.severity "critical" }}P1{{ else if eq .CommonLabels.severity "warning" }}P3{{ else }}P5{{ end }}';

/** Label of the always-firing dead-man's-switch alert. */
export const WATCHDOG_MATCHER: Matcher = { label: "alertname", op: "=", value: "Watchdog" };

// ---------------------------------------------------------------------------------------------
// alertmanager.yml
// ---------------------------------------------------------------------------------------------

/** Integrations whose secret is a URL, which Alertmanager rejects when it is not one. */
const URL_SECRETS: ReadonlySet<Integration> = new Set<Integration>(["slack", "msteams", "webhook"]);

/**
 * Renders `alertmanager.yml`. Pure and deterministic: the same config and secrets give the same
 * bytes. Uses the current forms of the pinned Alertmanager (`matchers`,
 * `source_matchers`/`target_matchers`, top-level `time_intervals`, routes' `mute_time_intervals`),
 * none of the deprecated `match`/`match_re` ones; checked by its `amtool check-config`.
 *
 * The text CONTAINS THE SECRETS (webhook URLs, routing keys, API keys, SMTP passwords): the caller
 * must keep it a Pulumi secret (`pulumi.secret`, or build it inside an `apply` of secret Outputs)
 * and deliver it as a Kubernetes Secret or a Docker upload that is never logged.
 *
 * @param cfg a definition validated by `alertingSchema` (`parseAlerting`).
 * @param secrets every key of `requiredSecretKeys(cfg)`; a missing one throws, naming the key.
 * @throws Error naming the secret key when a secret is missing or a URL secret is not a URL (the
 *   value itself is never put into the message).
 */
export function renderAlertmanagerConfig(cfg: AlertingConfig, secrets: AlertingSecrets): string {
  const secret = (key: string, kind: Integration | "smtp") => {
    const value = secrets[key];
    if (value === undefined || value === "") throw new Error(`alertmanager.yml needs the secret "${key}"; it was not given`);
    if (kind !== "smtp" && URL_SECRETS.has(kind) && !isHttpUrl(value)) throw new Error(`the secret "${key}" is not an http(s) URL`);
    return value;
  };

  const global: Record<string, unknown> = {};
  if (cfg.smtp) {
    global.smtp_smarthost = cfg.smtp.smarthost;
    global.smtp_from = cfg.smtp.from;
    if (cfg.smtp.authUsername) {
      global.smtp_auth_username = cfg.smtp.authUsername;
      global.smtp_auth_password = secret(SMTP_SECRET_KEY, "smtp");
    }
    global.smtp_require_tls = cfg.smtp.requireTls;
  }

  const config = {
    ...(Object.keys(global).length > 0 ? { global } : {}),
    route: {
      receiver: cfg.route.receiver,
      group_by: [...cfg.route.groupBy],
      group_wait: cfg.route.groupWait,
      group_interval: cfg.route.groupInterval,
      repeat_interval: cfg.route.repeatInterval,
      routes: [...watchdogRoutes(cfg).map(alertmanagerRoute), ...cfg.route.routes.map(alertmanagerRoute)],
    },
    inhibit_rules: cfg.inhibitRules.map((r) => ({
      source_matchers: r.sourceMatchers.map(normalizeMatcher),
      target_matchers: r.targetMatchers.map(normalizeMatcher),
      ...(r.equal.length > 0 ? { equal: [...r.equal] } : {}),
    })),
    receivers: cfg.receivers.map((r) => alertmanagerReceiver(r, secret)),
    ...(cfg.muteTimeIntervals.length > 0
      ? {
          time_intervals: cfg.muteTimeIntervals.map((m) => ({
            name: m.name,
            time_intervals: m.timeIntervals.map((t) => ({
              ...(t.times ? { times: t.times.map((x) => ({ start_time: x.start, end_time: x.end })) } : {}),
              ...(t.weekdays ? { weekdays: t.weekdays.map((d) => d.toLowerCase()) } : {}),
              ...(t.daysOfMonth ? { days_of_month: [...t.daysOfMonth] } : {}),
              ...(t.months ? { months: t.months.map((d) => d.toLowerCase()) } : {}),
              ...(t.years ? { years: [...t.years] } : {}),
              ...(t.location ? { location: t.location } : {}),
            })),
          })),
        }
      : {}),
  };
  return yaml.dump(config, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

/**
 * The dead-man's-switch route, first so that nothing else can take the Watchdog alert. Its timers
 * come from `watchdogTimers`: group_wait 0s, the period split into group intervals of at least
 * 20s, and repeat_interval = period - 13s, so that one Alertmanager or a cluster pings every period.
 */
function watchdogRoutes(cfg: AlertingConfig): Route[] {
  if (!cfg.watchdog.receiver) return [];
  const timers = watchdogTimers(cfg.watchdog.repeatInterval);
  return [
    {
      matchers: [formatMatcher(WATCHDOG_MATCHER)],
      receiver: cfg.watchdog.receiver,
      continue: false,
      groupWait: timers.groupWait,
      groupInterval: timers.groupInterval,
      repeatInterval: timers.repeatInterval,
      routes: [],
    },
  ];
}

function alertmanagerRoute(r: Route): Record<string, unknown> {
  return {
    ...(r.receiver ? { receiver: r.receiver } : {}),
    ...(r.matchers.length > 0 ? { matchers: r.matchers.map(normalizeMatcher) } : {}),
    ...(r.continue ? { continue: true } : {}),
    ...(r.groupBy ? { group_by: [...r.groupBy] } : {}),
    ...(r.groupWait ? { group_wait: r.groupWait } : {}),
    ...(r.groupInterval ? { group_interval: r.groupInterval } : {}),
    ...(r.repeatInterval ? { repeat_interval: r.repeatInterval } : {}),
    ...(r.muteTimeIntervals && r.muteTimeIntervals.length > 0 ? { mute_time_intervals: [...r.muteTimeIntervals] } : {}),
    ...(r.routes.length > 0 ? { routes: r.routes.map(alertmanagerRoute) } : {}),
  };
}

type SecretFn = (key: string, kind: Integration) => string;

function alertmanagerReceiver(r: Receiver, secret: SecretFn): Record<string, unknown> {
  const key = (kind: Integration, i: number) => secretKey(r.name, kind, i);
  const out: Record<string, unknown> = { name: r.name };
  if (r.email?.length) {
    out.email_configs = r.email.map((e, i) => ({
      to: e.to,
      ...(e.from ? { from: e.from } : {}),
      ...(e.smarthost ? { smarthost: e.smarthost } : {}),
      ...(e.authUsername ? { auth_username: e.authUsername, auth_password: secret(key("email", i), "email") } : {}),
      ...(e.requireTls !== undefined ? { require_tls: e.requireTls } : {}),
      headers: { Subject: e.subject ?? TITLE_TEMPLATE },
      text: TEXT_TEMPLATE,
      send_resolved: e.sendResolved,
    }));
  }
  if (r.slack?.length) {
    out.slack_configs = r.slack.map((s, i) => ({
      api_url: secret(key("slack", i), "slack"),
      channel: s.channel,
      title: s.title ?? TITLE_TEMPLATE,
      text: s.text ?? TEXT_TEMPLATE,
      send_resolved: s.sendResolved,
    }));
  }
  if (r.pagerduty?.length) {
    out.pagerduty_configs = r.pagerduty.map((p, i) => ({
      routing_key: secret(key("pagerduty", i), "pagerduty"),
      severity: p.severity ?? PAGERDUTY_SEVERITY_TEMPLATE,
      description: TITLE_TEMPLATE,
      // Setting details replaces Alertmanager's defaults, so they are repeated next to the runbook.
      details: {
        firing: '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
        num_firing: "{{ .Alerts.Firing | len }}",
        num_resolved: "{{ .Alerts.Resolved | len }}",
        resolved: '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
        runbook_url: "{{ .CommonAnnotations.runbook_url }}",
        summary: "{{ .CommonAnnotations.summary }}",
      },
      send_resolved: p.sendResolved,
    }));
  }
  if (r.opsgenie?.length) {
    out.opsgenie_configs = r.opsgenie.map((o, i) => ({
      api_key: secret(key("opsgenie", i), "opsgenie"),
      message: TITLE_TEMPLATE,
      description: TEXT_TEMPLATE,
      priority: o.priority ?? OPSGENIE_PRIORITY_TEMPLATE,
      ...(o.responders?.length ? { responders: o.responders.map((x) => (x.type === "user" ? { username: x.name, type: "user" } : { name: x.name, type: x.type })) } : {}),
      details: { runbook_url: "{{ .CommonAnnotations.runbook_url }}" },
      send_resolved: o.sendResolved,
    }));
  }
  if (r.msteams?.length) {
    out.msteams_configs = r.msteams.map((m, i) => ({
      webhook_url: secret(key("msteams", i), "msteams"),
      title: m.title ?? TITLE_TEMPLATE,
      text: TEXT_TEMPLATE,
      send_resolved: m.sendResolved,
    }));
  }
  if (r.webhook?.length) {
    out.webhook_configs = r.webhook.map((w, i) => ({
      url: secret(key("webhook", i), "webhook"),
      send_resolved: w.sendResolved,
      max_alerts: w.maxAlerts,
    }));
  }
  return out;
}

/** Parses a matcher the schema has validated; a library caller that skipped validation gets an error. */
export function matcherOf(text: string): Matcher {
  const parsed = parseMatcher(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

function normalizeMatcher(text: string): string {
  return formatMatcher(matcherOf(text));
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Grafana (shapes of @pulumiverse/grafana's alerting.* args, without importing Pulumi)
// ---------------------------------------------------------------------------------------------

/** `{label, match, value}`: a matcher as Grafana notification policies take it. */
export interface GrafanaMatcher {
  label: string;
  match: string;
  value: string;
}

/**
 * `alerting.ContactPointArgs` for one receiver. Secret fields hold whatever `secretFor` returned
 * for the secret key: the key itself by default, or a `pulumi.Output<string>` the caller passes.
 * Email has no server settings here: Grafana sends mail through its own `[smtp]` settings.
 * Opsgenie's priority is not mapped (Grafana takes it from the `og_priority` label).
 */
export interface GrafanaContactPoint<S> {
  name: string;
  emails?: { addresses: string[]; subject: string; message: string; singleEmail: boolean; disableResolveMessage: boolean }[];
  slacks?: { url: S; recipient: string; title: string; text: string; disableResolveMessage: boolean }[];
  pagerduties?: { integrationKey: S; severity: string; summary: string; details: Record<string, string>; disableResolveMessage: boolean }[];
  opsgenies?: { apiKey: S; message: string; description: string; autoClose: boolean; responders?: { type: string; name?: string; username?: string }[]; disableResolveMessage: boolean }[];
  teams?: { url: S; title: string; message: string; disableResolveMessage: boolean }[];
  webhooks?: { url: S; maxAlerts: number; disableResolveMessage: boolean }[];
}

/** A child policy of `alerting.NotificationPolicyArgs` (all nesting levels share these fields). */
export interface GrafanaPolicy {
  contactPoint?: string;
  matchers?: GrafanaMatcher[];
  continue?: boolean;
  groupBies?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  muteTimings?: string[];
  policies?: GrafanaPolicy[];
}

/** `alerting.NotificationPolicyArgs`. */
export interface GrafanaNotificationPolicy {
  contactPoint: string;
  groupBies: string[];
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  policies: GrafanaPolicy[];
}

/** `alerting.MuteTimingArgs`. */
export interface GrafanaMuteTiming {
  name: string;
  intervals: { times?: { start: string; end: string }[]; weekdays?: string[]; daysOfMonths?: string[]; months?: string[]; years?: string[]; location?: string }[];
}

/**
 * The receivers as Grafana contact points, one per receiver, named like it. Pure.
 *
 * @param secretFor maps a secret key (`oncall.pagerduty[0]`) to the value to put in the args;
 *   default: the key itself, for the caller to substitute.
 */
export function renderGrafanaContactPoints(cfg: AlertingConfig): GrafanaContactPoint<string>[];
export function renderGrafanaContactPoints<S>(cfg: AlertingConfig, secretFor: (key: string) => S): GrafanaContactPoint<S>[];
export function renderGrafanaContactPoints<S>(cfg: AlertingConfig, secretFor?: (key: string) => S): GrafanaContactPoint<S | string>[] {
  const lookup = secretFor ?? ((k: string) => k);
  return cfg.receivers.map((r) => {
    const key = (kind: Integration, i: number) => lookup(secretKey(r.name, kind, i));
    const point: GrafanaContactPoint<S | string> = { name: r.name };
    if (r.email?.length) {
      point.emails = r.email.map((e) => ({
        addresses: e.to.split(",").map((a) => a.trim()),
        subject: e.subject ?? TITLE_TEMPLATE,
        message: TEXT_TEMPLATE,
        // Alertmanager sends one mail to all recipients; so does this.
        singleEmail: true,
        disableResolveMessage: !e.sendResolved,
      }));
    }
    if (r.slack?.length) {
      point.slacks = r.slack.map((s, i) => ({ url: key("slack", i), recipient: s.channel, title: s.title ?? TITLE_TEMPLATE, text: s.text ?? TEXT_TEMPLATE, disableResolveMessage: !s.sendResolved }));
    }
    if (r.pagerduty?.length) {
      point.pagerduties = r.pagerduty.map((p, i) => ({
        integrationKey: key("pagerduty", i),
        severity: p.severity ?? PAGERDUTY_SEVERITY_TEMPLATE,
        summary: TITLE_TEMPLATE,
        details: { runbook_url: "{{ .CommonAnnotations.runbook_url }}", summary: "{{ .CommonAnnotations.summary }}" },
        disableResolveMessage: !p.sendResolved,
      }));
    }
    if (r.opsgenie?.length) {
      point.opsgenies = r.opsgenie.map((o, i) => ({
        apiKey: key("opsgenie", i),
        message: TITLE_TEMPLATE,
        description: TEXT_TEMPLATE,
        autoClose: o.sendResolved,
        ...(o.responders?.length ? { responders: o.responders.map((x) => (x.type === "user" ? { type: "user", username: x.name } : { type: x.type, name: x.name })) } : {}),
        disableResolveMessage: !o.sendResolved,
      }));
    }
    if (r.msteams?.length) {
      point.teams = r.msteams.map((m, i) => ({ url: key("msteams", i), title: m.title ?? TITLE_TEMPLATE, message: TEXT_TEMPLATE, disableResolveMessage: !m.sendResolved }));
    }
    if (r.webhook?.length) {
      point.webhooks = r.webhook.map((w, i) => ({ url: key("webhook", i), maxAlerts: w.maxAlerts, disableResolveMessage: !w.sendResolved }));
    }
    return point;
  });
}

/**
 * The route tree as Grafana's notification policy, policy for route: same contact points,
 * matchers, grouping, intervals and mute timings (create the `renderGrafanaMuteTimings` resources
 * first). Grafana has no inhibition: `inhibitRules` only apply in Alertmanager. Pure.
 */
export function renderGrafanaPolicy(cfg: AlertingConfig): GrafanaNotificationPolicy {
  const root = cfg.route;
  return {
    contactPoint: root.receiver,
    groupBies: [...root.groupBy],
    groupWait: root.groupWait,
    groupInterval: root.groupInterval,
    repeatInterval: root.repeatInterval,
    policies: [...watchdogRoutes(cfg), ...root.routes].map((r) => grafanaPolicy(r, 1, root.groupBy)),
  };
}

/** Grafana's deepest policy level requires `groupBies`: there it is the inherited grouping. */
const GRAFANA_DEEPEST_LEVEL = 5;

function grafanaPolicy(r: Route, level: number, inheritedGroupBy: readonly string[]): GrafanaPolicy {
  const groupBy = r.groupBy ?? (level === GRAFANA_DEEPEST_LEVEL ? inheritedGroupBy : undefined);
  if (level >= GRAFANA_DEEPEST_LEVEL && r.routes.length > 0) throw new Error(`Grafana notification policies nest at most ${GRAFANA_DEEPEST_LEVEL} levels deep`);
  return {
    ...(r.receiver ? { contactPoint: r.receiver } : {}),
    ...(r.matchers.length > 0 ? { matchers: r.matchers.map((m) => grafanaMatcher(matcherOf(m))) } : {}),
    ...(r.continue ? { continue: true } : {}),
    ...(groupBy ? { groupBies: [...groupBy] } : {}),
    ...(r.groupWait ? { groupWait: r.groupWait } : {}),
    ...(r.groupInterval ? { groupInterval: r.groupInterval } : {}),
    ...(r.repeatInterval ? { repeatInterval: r.repeatInterval } : {}),
    ...(r.muteTimeIntervals && r.muteTimeIntervals.length > 0 ? { muteTimings: [...r.muteTimeIntervals] } : {}),
    ...(r.routes.length > 0 ? { policies: r.routes.map((c) => grafanaPolicy(c, level + 1, r.groupBy ?? inheritedGroupBy)) } : {}),
  };
}

function grafanaMatcher(m: Matcher): GrafanaMatcher {
  return { label: m.label, match: m.op, value: m.value };
}

/** The mute time intervals as Grafana mute timings, same names. Pure. */
export function renderGrafanaMuteTimings(cfg: AlertingConfig): GrafanaMuteTiming[] {
  return cfg.muteTimeIntervals.map((m) => ({
    name: m.name,
    intervals: m.timeIntervals.map((t) => ({
      ...(t.times ? { times: t.times.map((x) => ({ start: x.start, end: x.end })) } : {}),
      ...(t.weekdays ? { weekdays: t.weekdays.map((d) => d.toLowerCase()) } : {}),
      ...(t.daysOfMonth ? { daysOfMonths: [...t.daysOfMonth] } : {}),
      ...(t.months ? { months: t.months.map((d) => d.toLowerCase()) } : {}),
      ...(t.years ? { years: [...t.years] } : {}),
      ...(t.location ? { location: t.location } : {}),
    })),
  }));
}

/** The integrations a receiver has, in render order (for callers that label resources). */
export function integrationsOf(r: Receiver): Integration[] {
  return INTEGRATIONS.filter((k) => (r[k]?.length ?? 0) > 0);
}
