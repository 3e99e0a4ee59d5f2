import { z } from "zod";
import { duration, hostPort, strictObject } from "../shared/config-primitives";

/**
 * One alert-routing definition: receivers, the route tree, inhibition and mute intervals. It is
 * rendered twice, to `alertmanager.yml` and to Grafana contact points + notification policy, so
 * the two routing trees cannot drift apart (components/alerting/alertmanager-config.ts).
 *
 * Credentials are NOT part of this object: webhook URLs, Slack URLs, PagerDuty routing keys,
 * Opsgenie API keys, Teams webhook URLs and SMTP passwords are Pulumi secrets keyed by
 * `<receiver>.<integration>[<i>]` (`oncall.pagerduty[0]`), plus `smtp` for the global SMTP
 * password. `requiredSecretKeys` lists the keys a config needs.
 */

/** The config path every message of this file starts with. */
export const ALERTING_PATH = "observability:alerting";
/** The Pulumi config key (a secret object) holding the alerting secrets. */
export const ALERTING_SECRETS_PATH = "observability:alertingSecrets";
/** Secret key of the global SMTP password (`smtp.authUsername`). */
export const SMTP_SECRET_KEY = "smtp";

/** Secrets of the receivers, keyed as `requiredSecretKeys` lists them. */
export type AlertingSecrets = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Matchers
// ---------------------------------------------------------------------------------------------

/** A parsed Prometheus/Alertmanager matcher: `label op "value"`. */
export interface Matcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

// A quoted value with \" \\ \n escapes, or a bare value without quotes, spaces, commas or braces
// (Alertmanager accepts both; we render the quoted form).
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s,{}]+))\s*$/;
const MATCHER_HINT = `label, one of = != =~ !~, then a "quoted value", e.g. severity="critical" or team=~"db|infra"`;

/**
 * Parses one matcher as Alertmanager's `matchers:` lists take it. Returns an error text naming
 * what is wrong instead of throwing, so the schema can attach it to the config path.
 */
export function parseMatcher(text: string): Matcher | { error: string } {
  const m = MATCHER.exec(text);
  if (!m) return { error: `'${text}' is not a matcher (${MATCHER_HINT})` };
  const op = m[2] as Matcher["op"];
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)) : m[4];
  if (op === "=~" || op === "!~") {
    // Go's RE2 has no lookaround or backreferences; JavaScript would accept them silently.
    if (/\(\?<?[=!]|\\[1-9]/.test(value)) return { error: `'${text}' uses a lookaround or backreference, which Alertmanager's RE2 regexes do not support` };
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      const reason = String((e as Error).message).split(": ").pop();
      return { error: `'${text}' has an invalid regex: ${reason}` };
    }
  }
  return { label: m[1], op, value };
}

/** The matcher in its quoted form, which Alertmanager's UTF-8 and classic matcher parsers read alike. */
export function formatMatcher(m: Matcher): string {
  return `${m.label}${m.op}"${m.value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

const matcher = z.string().superRefine((v, ctx) => {
  const parsed = parseMatcher(v);
  if ("error" in parsed) ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.error });
});

// ---------------------------------------------------------------------------------------------
// Receivers
// ---------------------------------------------------------------------------------------------

const receiverName = z.string().refine(
  (v) => /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(v),
  // `.` and `[` would make the secret keys (`<receiver>.<integration>[<i>]`) ambiguous.
  (v) => ({ message: `"${v}" is not a receiver name (letters, digits, _ and -, starting with a letter or digit)` }),
);

const emailAddress = z.string().refine(
  (v) => /^[^@\s,]+@[^@\s,]+$/.test(v) || /^[^<>]*<[^@\s<>,]+@[^@\s<>,]+>$/.test(v),
  (v) => ({ message: `"${v}" is not an email address (e.g. oncall@example.com or "On call <oncall@example.com>")` }),
);

const sendResolved = z
  .boolean()
  .default(true)
  .describe("Also notify when the alerts resolve. Default true: a channel should learn that an incident is over.");

const emailSchema = strictObject({
  /** Recipient(s), comma-separated. Required. */
  to: z
    .string()
    .min(1, "is required (e.g. oncall@example.com)")
    .refine((v) => v.split(",").every((a) => emailAddress.safeParse(a.trim()).success), (v) => ({ message: `"${v}" is not a list of email addresses (e.g. oncall@example.com, db@example.com)` }))
    .describe("Recipient(s), comma-separated. Required."),
  /** Sender address. Default `smtp.from`. */
  from: emailAddress.optional().describe("Sender address. Default: smtp.from."),
  /** SMTP server `host:port`. Default `smtp.smarthost`. */
  smarthost: hostPort.optional().describe("SMTP server host:port. Default: smtp.smarthost."),
  /** SMTP user; its password is the secret `<receiver>.email[<i>]`. Default `smtp.authUsername` (or none). */
  authUsername: z.string().min(1).optional().describe("SMTP user; its password is the secret <receiver>.email[<i>]. Default: smtp.authUsername (or none)."),
  /** Require STARTTLS. Default `smtp.requireTls` (true). */
  requireTls: z.boolean().optional().describe("Require STARTTLS. Default: smtp.requireTls (true)."),
  /** Subject template. Default: status, alert name and common summary. */
  subject: z.string().min(1).optional().describe("Subject template. Default: status, alert name and common summary."),
  /** Notify on resolution. Default true. */
  sendResolved,
});

const slackSchema = strictObject({
  /** Channel (`#alerts`) or user (`@someone`); the incoming-webhook URL is the secret `<receiver>.slack[<i>]`. Required. */
  channel: z
    .string()
    .regex(/^[#@]\S+$/, 'must be a channel or user (e.g. "#alerts", "@oncall")')
    .describe("Channel (#alerts) or user (@someone); the incoming-webhook URL is the secret <receiver>.slack[<i>]. Required."),
  /** Title template. Default: status, alert name and common summary. */
  title: z.string().min(1).optional().describe("Title template. Default: status, alert name and common summary."),
  /** Text template. Default: summary, runbook URL and one line per alert. */
  text: z.string().min(1).optional().describe("Text template. Default: summary, runbook URL and one line per alert."),
  /** Notify on resolution. Default true. */
  sendResolved,
});

const pagerdutySchema = strictObject({
  /**
   * PagerDuty severity: `critical`, `error`, `warning` or `info`. Default: the alert's `severity`
   * label when it is one of those, else `critical`. The routing key (Events API v2) is the secret
   * `<receiver>.pagerduty[<i>]`.
   */
  severity: z
    .enum(["critical", "error", "warning", "info"], { errorMap: (_i, ctx) => ({ message: `"${String(ctx.data)}" is not a PagerDuty severity (severities: critical, error, warning, info)` }) })
    .optional()
    .describe("PagerDuty severity (critical, error, warning, info). Default: the alert's severity label when it is one of those, else critical. The Events API v2 routing key is the secret <receiver>.pagerduty[<i>]."),
  /** Notify on resolution (resolves the incident). Default true. */
  sendResolved,
});

const opsgenieResponderSchema = strictObject({
  /** `team`, `user`, `escalation` or `schedule`. Required. */
  type: z
    .enum(["team", "user", "escalation", "schedule"], { errorMap: (_i, ctx) => ({ message: `"${String(ctx.data)}" is not a responder type (types: escalation, schedule, team, user)` }) })
    .describe("team, user, escalation or schedule. Required."),
  /** The team/escalation/schedule name, or the user's username. Required. */
  name: z.string().min(1, "is required").describe("The team/escalation/schedule name, or the user's username. Required."),
});

const opsgenieSchema = strictObject({
  /** Who is notified. Default: the API key's team. The API key is the secret `<receiver>.opsgenie[<i>]`. */
  responders: z.array(opsgenieResponderSchema).optional().describe("Who is notified. Default: the API key's team. The API key is the secret <receiver>.opsgenie[<i>]."),
  /** `P1`..`P5`. Default: P1 for severity=critical, P3 for warning, P5 otherwise. */
  priority: z
    .enum(["P1", "P2", "P3", "P4", "P5"], { errorMap: (_i, ctx) => ({ message: `"${String(ctx.data)}" is not an Opsgenie priority (P1, P2, P3, P4, P5)` }) })
    .optional()
    .describe("P1..P5. Default: P1 for severity=critical, P3 for warning, P5 otherwise."),
  /** Notify on resolution (closes the alert). Default true. */
  sendResolved,
});

const msteamsSchema = strictObject({
  /** Title template. Default: status, alert name and common summary. The webhook URL is the secret `<receiver>.msteams[<i>]`. Needs Alertmanager >= 0.26. */
  title: z.string().min(1).optional().describe("Title template. Default: status, alert name and common summary. The webhook URL is the secret <receiver>.msteams[<i>]. Needs Alertmanager >= 0.26."),
  /** Notify on resolution. Default true. */
  sendResolved,
});

const webhookSchema = strictObject({
  /** Notify on resolution. Default true. The URL is the secret `<receiver>.webhook[<i>]` (it often embeds a token). */
  sendResolved: sendResolved.describe("Notify on resolution. Default true. The URL is the secret <receiver>.webhook[<i>] (it often embeds a token)."),
  /** Most alerts per message; 0 is all. Default 0. */
  maxAlerts: z.number().int().min(0, "must be 0 (all) or more").default(0).describe("Most alerts per message; 0 is all. Default 0."),
});

/** The integrations a receiver may have, in the order they are rendered. */
export const INTEGRATIONS = ["email", "slack", "pagerduty", "opsgenie", "msteams", "webhook"] as const;
export type Integration = (typeof INTEGRATIONS)[number];

/** What the secret of each integration is, for messages. Email's is only needed with `authUsername`. */
export const SECRET_MEANING: Record<Integration, string> = {
  email: "the SMTP password",
  slack: "the Slack incoming-webhook URL",
  pagerduty: "the PagerDuty Events API v2 routing key",
  opsgenie: "the Opsgenie API key",
  msteams: "the Microsoft Teams webhook URL",
  webhook: "the webhook URL",
};

const receiverSchema = strictObject({
  /** Unique name, referenced by routes. Letters, digits, `_` and `-`. Required. */
  name: receiverName.describe("Unique name, referenced by routes. Letters, digits, _ and -. Required."),
  /** Email notifications. Default none. */
  email: z.array(emailSchema).optional().describe("Email notifications. Default none."),
  /** Slack notifications. Default none. */
  slack: z.array(slackSchema).optional().describe("Slack notifications. Default none."),
  /** PagerDuty incidents. Default none. */
  pagerduty: z.array(pagerdutySchema).optional().describe("PagerDuty incidents. Default none."),
  /** Opsgenie alerts. Default none. */
  opsgenie: z.array(opsgenieSchema).optional().describe("Opsgenie alerts. Default none."),
  /** Microsoft Teams messages (Alertmanager >= 0.26). Default none. */
  msteams: z.array(msteamsSchema).optional().describe("Microsoft Teams messages (Alertmanager >= 0.26). Default none."),
  /** Generic webhooks (Alertmanager's JSON payload). Default none. */
  webhook: z.array(webhookSchema).optional().describe("Generic webhooks (Alertmanager's JSON payload). Default none."),
});

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/** Grafana notification policies nest five levels below the root; Alertmanager has no limit. */
export const MAX_ROUTE_DEPTH = 5;

/** A child route (input shape, for the recursive type). */
export interface RouteInput {
  matchers?: string[];
  receiver?: string;
  continue?: boolean;
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  muteTimeIntervals?: string[];
  routes?: RouteInput[];
}

/** A child route with defaults applied (the fields of `routeSchema` below). */
export interface Route {
  /** Matchers an alert must all satisfy. Default none: every alert. */
  matchers: string[];
  /** Receiver of the matching alerts. Default: the parent route's. */
  receiver?: string;
  /** Keep matching the following sibling routes. Default false. */
  continue: boolean;
  /** Grouping labels. Default: the parent route's. */
  groupBy?: string[];
  /** Default: the parent route's. */
  groupWait?: string;
  /** Default: the parent route's. */
  groupInterval?: string;
  /** Default: the parent route's. */
  repeatInterval?: string;
  /** Mute time interval names. Default none. */
  muteTimeIntervals?: string[];
  /** Child routes. Default none. */
  routes: Route[];
}

const groupByLabel = z.string().refine(
  (v) => v === "..." || /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(v),
  (v) => ({ message: `"${v}" is not a label name (or "..." to group by all labels)` }),
);

const routeSchema: z.ZodType<Route, z.ZodTypeDef, RouteInput> = z.lazy(() =>
  strictObject({
    /** Matchers an alert must all satisfy, in Prometheus syntax (`severity="critical"`, `team=~"db|infra"`). Default none: matches every alert. */
    matchers: z.array(matcher).default([]).describe('Matchers an alert must all satisfy (severity="critical", team=~"db|infra"). Default none: matches every alert.'),
    /** Receiver of the matching alerts. Default: the parent route's. */
    receiver: z.string().optional().describe("Receiver of the matching alerts. Default: the parent route's."),
    /** Keep matching the following sibling routes after this one matched. Default false. */
    continue: z.boolean().default(false).describe("Keep matching the following sibling routes after this one matched. Default false."),
    /** Labels that group alerts into one notification. Default: the parent route's. */
    groupBy: z.array(groupByLabel).optional().describe("Labels that group alerts into one notification. Default: the parent route's."),
    /** Wait before the first notification of a new group. Default: the parent route's. */
    groupWait: duration.optional().describe("Wait before the first notification of a new group. Default: the parent route's."),
    /** Wait before notifying about alerts added to a group. Default: the parent route's. */
    groupInterval: duration.optional().describe("Wait before notifying about alerts added to a group. Default: the parent route's."),
    /** Wait before re-sending a notification that is still firing. Default: the parent route's. */
    repeatInterval: duration.optional().describe("Wait before re-sending a notification that is still firing. Default: the parent route's."),
    /** Names of `muteTimeIntervals` during which this route notifies nobody. Default none. */
    muteTimeIntervals: z.array(z.string()).optional().describe("Names of muteTimeIntervals during which this route notifies nobody. Default none."),
    /** Child routes, tried in order. Default none. */
    routes: z.array(routeSchema).default([]).describe("Child routes, tried in order. Default none."),
  }),
);

/**
 * Default grouping: by alert name and job. A failure that hits many instances at once (a bad
 * deploy, a network partition) sends one notification listing them rather than one per instance,
 * while different alerts and different services stay in separate notifications, so each keeps
 * its own route, runbook and inhibition.
 */
export const DEFAULT_GROUP_BY: readonly string[] = ["alertname", "job"];

const rootRouteSchema = strictObject({
  /** Receiver of alerts no child route takes. Default: the first receiver. */
  receiver: z.string().optional().describe("Receiver of alerts no child route takes. Default: the first receiver."),
  /** Labels that group alerts into one notification. Default `["alertname", "job"]`. */
  groupBy: z.array(groupByLabel).default([...DEFAULT_GROUP_BY]).describe('Labels that group alerts into one notification. Default ["alertname", "job"]: one notification per alert and service, listing its instances.'),
  /** Wait before the first notification of a new group, to collect its alerts. Default `30s`. */
  groupWait: duration.default("30s").describe("Wait before the first notification of a new group, to collect its alerts. Default 30s."),
  /** Wait before notifying about alerts added to a group. Default `5m`. */
  groupInterval: duration.default("5m").describe("Wait before notifying about alerts added to a group. Default 5m."),
  /** Wait before re-sending a notification that is still firing. Default `4h`. */
  repeatInterval: duration.default("4h").describe("Wait before re-sending a notification that is still firing. Default 4h."),
  /** Child routes, tried in order (after the Watchdog route). Default none. */
  routes: z.array(routeSchema).default([]).describe("Child routes, tried in order (after the Watchdog route). Default none."),
});

// ---------------------------------------------------------------------------------------------
// Inhibition, mute intervals, watchdog, SMTP
// ---------------------------------------------------------------------------------------------

const inhibitRuleSchema = strictObject({
  /** Matchers of the alert that inhibits. Required, at least one. */
  sourceMatchers: z.array(matcher).min(1, "needs at least one matcher").describe("Matchers of the alert that inhibits. Required, at least one."),
  /** Matchers of the alerts that are inhibited. Required, at least one. */
  targetMatchers: z.array(matcher).min(1, "needs at least one matcher").describe("Matchers of the alerts that are inhibited. Required, at least one."),
  /** Labels whose values must be equal in source and target. Default none. */
  equal: z.array(groupByLabel).default([]).describe("Labels whose values must be equal in source and target. Default none."),
});

/**
 * Default inhibition. A critical silences the warnings of the same alert and instance (the
 * warning threshold is crossed too). A `TargetDown` (per target: `job` and `instance` labels)
 * silences the other alerts of that target, whose cause it is; its target matcher excludes
 * `TargetDown` itself so that one down target never hides another. A `ServiceDown` (every target
 * of a job down: the page) silences the other alerts of its job, `TargetDown` included, so one
 * outage is one notification.
 */
export const DEFAULT_INHIBIT_RULES = [
  { sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="warning"'], equal: ["alertname", "instance"] },
  { sourceMatchers: ['alertname="TargetDown"'], targetMatchers: ['alertname!="TargetDown"'], equal: ["job", "instance"] },
  { sourceMatchers: ['alertname="ServiceDown"'], targetMatchers: ['alertname!="ServiceDown"'], equal: ["job"] },
];

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/**
 * A list of values or `start:end` ranges as Alertmanager's time intervals take them. Alertmanager
 * rejects a range that runs backwards (weeks run sunday to saturday), so ranges are checked too.
 */
function rangeList(what: string, example: string, parse: (v: string) => number | undefined, backwards: (start: number, end: number) => string | undefined) {
  return z.array(
    z.string().superRefine((v, ctx) => {
      const parts = v.split(":");
      const nums = parts.map((p) => parse(p.toLowerCase()));
      if (parts.length > 2 || nums.some((n) => n === undefined)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" is not ${what} or a range of them (e.g. ${example})` });
        return;
      }
      const problem = nums.length === 2 ? backwards(nums[0]!, nums[1]!) : undefined;
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${v}" ${problem}` });
    }),
  );
}

const byIndex = (names: string[], base: number) => (v: string) => {
  const i = names.indexOf(v);
  if (i >= 0) return i + base;
  return base === 1 && /^(?:[1-9]|1[0-2])$/.test(v) ? Number(v) : undefined;
};
const weekdays = rangeList("a weekday", "saturday, monday:friday", byIndex(WEEKDAYS, 0), (a, b) =>
  a > b ? `runs backwards: weeks run sunday to saturday (list ["${WEEKDAYS[a]}", "${WEEKDAYS[b]}"] or ranges within one week)` : undefined,
);
const months = rangeList("a month", "december, 1:3", byIndex(MONTHS, 1), (a, b) => (a > b ? "runs backwards: a range cannot cross the new year (use two ranges)" : undefined));
const daysOfMonth = rangeList(
  "a day of the month",
  "1, 1:7, -1",
  (v) => (/^-?(?:[1-9]|[12]\d|3[01])$/.test(v) ? Number(v) : undefined),
  (a, b) => (a < 0 && b > 0 ? "cannot start counting from the end and end counting from the start" : Math.sign(a) === Math.sign(b) && a > b ? "runs backwards" : undefined),
);
const years = rangeList("a year", "2025, 2025:2026", (v) => (/^\d{4}$/.test(v) ? Number(v) : undefined), (a, b) => (a > b ? "runs backwards" : undefined));

const timeOfDay = z.string().refine((v) => /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/.test(v), (v) => ({ message: `"${v}" is not a time of day (HH:MM, 00:00 to 24:00)` }));

const timeIntervalSchema = strictObject({
  /** Days of the week or ranges (`monday:friday`). Default: every day. */
  weekdays: weekdays.optional().describe("Days of the week or ranges (monday:friday). Default: every day."),
  /** Times of day, `start` inclusive, `end` exclusive, `HH:MM`. Default: all day. */
  times: z
    .array(
      strictObject({ start: timeOfDay.describe("HH:MM, inclusive. Required."), end: timeOfDay.describe("HH:MM, exclusive. Required.") }).refine((t) => t.start < t.end, (t) => ({ message: `start ${t.start} must be before end ${t.end}` })),
    )
    .optional()
    .describe("Times of day, start inclusive, end exclusive, HH:MM. Default: all day."),
  /** Months or ranges, by name or number (`january:march`, `12`). Default: every month. */
  months: months.optional().describe("Months or ranges, by name or number (january:march, 12). Default: every month."),
  /** Days of the month or ranges; negative counts from the end (`1:7`, `-1`). Default: every day. */
  daysOfMonth: daysOfMonth.optional().describe("Days of the month or ranges; negative counts from the end (1:7, -1). Default: every day."),
  /** Years or ranges (`2025:2026`). Default: every year. */
  years: years.optional().describe("Years or ranges (2025:2026). Default: every year."),
  /** IANA time zone of `times` (`Europe/Berlin`). Default `UTC`. */
  location: z
    .string()
    .refine(isTimeZone, (v) => ({ message: `"${v}" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)` }))
    .optional()
    .describe("IANA time zone of times (Europe/Berlin). Default UTC."),
});

function isTimeZone(v: string): boolean {
  if (v === "Local") return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: v });
    return v !== "";
  } catch {
    return false;
  }
}

const muteTimeIntervalSchema = strictObject({
  /** Unique name, referenced by routes' `muteTimeIntervals`. Required. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be letters, digits, _ and - (e.g. nights, weekends)").describe("Unique name, referenced by routes' muteTimeIntervals. Required."),
  /** When the interval is active: any of these matches. Required, at least one. */
  timeIntervals: z.array(timeIntervalSchema).min(1, "needs at least one time interval").describe("When the interval is active: any of these matches. Required, at least one."),
});

// ---------------------------------------------------------------------------------------------
// The Watchdog's heartbeat timing
// ---------------------------------------------------------------------------------------------

/**
 * Alertmanager's `--cluster.peer-timeout` (its default; the stack does not change it). In a
 * cluster, the replica at position k (by sorted peer name) holds every flush back k x this long
 * before it checks the gossiped notification log and sends what no earlier replica has.
 */
export const ALERTMANAGER_PEER_TIMEOUT_SECONDS = 15;
/**
 * Room for the gossiped notification-log entry to reach the other replicas and for the delivery
 * time to vary between two heartbeats (Alertmanager gossips every 200 ms).
 */
export const WATCHDOG_GOSSIP_MARGIN_SECONDS = 2;
/**
 * The Watchdog route's group interval is at least the peer timeout plus this: the held flush of
 * the second replica (peer timeout + delivery) ends before that replica's next flush, and the
 * constraint every route has in a cluster (a group interval above the peer timeout,
 * prometheus/alertmanager#2447) holds.
 */
const WATCHDOG_FLUSH_ROOM_SECONDS = 5;

/** How the Watchdog route is rendered for a heartbeat period, and what the switch should expect. */
export interface WatchdogTimers {
  /** `0s`: the first heartbeat goes out when the Watchdog first reaches Alertmanager. */
  groupWait: string;
  /** The period divided into n >= 2 equal flushes of at least peer timeout + 5 s (`20s` for `1m`). */
  groupInterval: string;
  /** Period - peer timeout + gossip margin (`47s` for `1m`): see `watchdogTimers`. */
  repeatInterval: string;
  periodSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
  /**
   * When the sending replica changes (it died, a replica joined or restarted, the config was
   * reloaded), one interval lies in (handoverMinSeconds, handoverMaxSeconds]: repeat_interval to
   * repeat_interval + group interval, + the peer timeout when the sender died within the
   * cluster's failure detection (~5 s) before the survivor's due tick, whose next interval is
   * then period + group interval - peer timeout. (A sender killed before it gossiped its last
   * heartbeat makes the survivor repeat it a peer timeout later: a short interval, then that
   * longer one.) Every other interval is the period, give or take the delivery time's variation.
   */
  handoverMinSeconds: number;
  handoverMaxSeconds: number;
  /** The grace to give the dead-man's switch: group interval + peer timeout (35s for 1m), above the latest handover beat (period + group interval + 2s). */
  graceSeconds: number;
}

/** Milliseconds of a duration the schema's `duration` accepts (`1m30s`); NaN when it is not one. */
function durationMs(text: string): number {
  const m = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === "") return NaN;
  const [y, w, d, h, min, s, ms] = m.slice(1).map((x) => Number(x ?? 0));
  return ((((y * 365 + w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000 + ms;
}

/** `47s`, `1m`, `22s500ms`, `59m47s`: a duration Alertmanager and Grafana parse. */
export function formatDurationMs(total: number): string {
  const parts: string[] = [];
  let rest = Math.round(total);
  for (const [unit, size] of [["h", 3600000], ["m", 60000], ["s", 1000], ["ms", 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join("") || "0s";
}

/** Why a Watchdog period cannot be rendered exactly, or undefined when it can. */
export function watchdogPeriodProblem(period: string, peerTimeoutSeconds = ALERTMANAGER_PEER_TIMEOUT_SECONDS): string | undefined {
  const ms = durationMs(period);
  if (Number.isNaN(ms)) return `"${period}" is not a duration (e.g. 15d, 12h, 30s)`;
  const minGroup = peerTimeoutSeconds + WATCHDOG_FLUSH_ROOM_SECONDS;
  if (ms < 2 * minGroup * 1000) {
    return `"${period}" must be at least ${formatDurationMs(2 * minGroup * 1000)}: a heartbeat goes out on a flush of the Watchdog route, whose group interval must stay above Alertmanager's ${peerTimeoutSeconds}s cluster peer timeout (at least ${minGroup}s, prometheus/alertmanager#2447), and the period needs two of them (e.g. 1m)`;
  }
  if (ms % 1000 !== 0) return `"${period}" must be a whole number of seconds (e.g. 1m, 90s)`;
  return undefined;
}

/**
 * The Watchdog route's timers for a heartbeat period P, so that the dead-man's switch is pinged
 * every P (Alertmanager 0.35, notify/dedup_stage.go and dispatch/dispatch.go):
 *
 * - A group is flushed every group_interval G (`aggrGroup.run` resets its timer to G at each flush)
 *   and a flush re-sends a still-firing group only when the last notification-log entry is older
 *   than repeat_interval R, strictly (`needsUpdate`: `entry.Timestamp.Before(now - repeat)`). The
 *   entry is stamped when the send finished (`nflog.Log`), `now` is the flush's tick. So a
 *   heartbeat goes out at the first tick more than R + delivery time after the previous one: with
 *   G = R (what this route used to render) that is 2G, never G. Here P = n x G (n >= 2) and
 *   P - G < R < P: the n-th tick after a heartbeat is the first one that sends: every P exactly.
 * - In a cluster every replica flushes the group, and the replica at position k waits k x the peer
 *   timeout W before its dedup (`ClusterWaitStage`, `clusterWait` = position x W), then sends only
 *   if the gossiped log still says "due" as of its tick. Its ticks are offset from the first
 *   replica's by an arbitrary phase y (each replica starts the group when the alert reaches it).
 *   With R = P - G its tick in (P - G, P) is already due, and when y < G - W it sends before the
 *   first replica's tick at P: heartbeats alternate early (P - G + y + W, then P - y - W). Both
 *   replicas get the alert from Prometheus at once, so y is a few ms: 55 s then 45 s for 1m with
 *   G = 20 s, as measured. R = P - W + margin makes the second replica due only at ticks after
 *   P - W + margin, so its held flush ends after the first replica's send at P has reached it: it
 *   never sends early, and the first replica sends every P.
 * - G stays above W (+5 s for the held flush to finish), the cluster constraint of every route
 *   (prometheus/alertmanager#2447), which also keeps R >= G for n >= 2.
 *
 * The price is one late beat when the sending replica changes: the survivor's first due tick lies
 * in (P - W + margin, P - W + margin + G], at most G - W + margin (7 s for 1m) late; if the sender
 * died so shortly before that tick that the survivor still counts it (memberlist declares a killed
 * peer dead after ~5 s), the survivor still holds its flush W: at most G + margin (22 s) late, and
 * the next interval P + G - W (5 s late). A sender killed before its last entry was gossiped
 * (within ~200 ms of the send) makes the survivor repeat that heartbeat a peer timeout later, then
 * again P + G - W after the repeat. A grace of G + W (35 s for 1m) covers them all.
 */
export function watchdogTimers(period: string, peerTimeoutSeconds = ALERTMANAGER_PEER_TIMEOUT_SECONDS): WatchdogTimers {
  const problem = watchdogPeriodProblem(period, peerTimeoutSeconds);
  if (problem) throw new Error(`watchdog.repeatInterval ${problem}`);
  const periodMs = durationMs(period);
  const minGroupMs = (peerTimeoutSeconds + WATCHDOG_FLUSH_ROOM_SECONDS) * 1000;
  // The most flushes per period that are each at least minGroupMs and divide it exactly in ms.
  let n = Math.floor(periodMs / minGroupMs);
  while (n > 2 && periodMs % n !== 0) n--;
  const groupMs = periodMs / n;
  const repeatMs = periodMs - (peerTimeoutSeconds - WATCHDOG_GOSSIP_MARGIN_SECONDS) * 1000;
  return {
    groupWait: "0s",
    groupInterval: formatDurationMs(groupMs),
    repeatInterval: formatDurationMs(repeatMs),
    periodSeconds: periodMs / 1000,
    groupIntervalSeconds: groupMs / 1000,
    repeatIntervalSeconds: repeatMs / 1000,
    handoverMinSeconds: repeatMs / 1000,
    handoverMaxSeconds: (repeatMs + groupMs) / 1000 + peerTimeoutSeconds,
    graceSeconds: groupMs / 1000 + peerTimeoutSeconds,
  };
}

const watchdogSchema = strictObject({
  /**
   * Receiver of the always-firing `Watchdog` alert (a dead-man's switch such as healthchecks.io,
   * PagerDuty or Opsgenie heartbeats). Default none: Watchdog then follows the route tree like
   * any alert, a heartbeat every `route.repeatInterval` to the root receiver.
   */
  receiver: z.string().optional().describe("Receiver of the always-firing Watchdog alert (a dead-man's switch). Default none: Watchdog follows the route tree like any alert."),
  /**
   * The heartbeat period: the dead-man's switch is pinged every this long, by one Alertmanager or
   * a cluster alike (the route's group_interval and repeat_interval are derived from it: 20s and
   * 47s for 1m). When the sending replica changes (it dies, a replica restarts) one heartbeat can
   * come up to the group interval + 2s late (22s for 1m); give the switch this period with a grace
   * of at least the group interval + 15s (35s for 1m; docs/runbooks/Watchdog.md). At least 40s,
   * whole seconds. Default `1m`.
   */
  repeatInterval: duration
    .superRefine((v, ctx) => {
      // A malformed duration already has its message from `duration`.
      if (!duration.safeParse(v).success) return;
      const problem = watchdogPeriodProblem(v);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    })
    .default("1m")
    .describe("The heartbeat period: the dead-man's switch is pinged every this long, by one Alertmanager or a cluster alike (the route's group_interval and repeat_interval are derived from it). Give the switch this period with a grace of at least the group interval + 15s (35s for 1m). At least 40s, whole seconds. Default 1m."),
});

const smtpSchema = strictObject({
  /** SMTP server `host:port`. Required. */
  smarthost: hostPort.describe("SMTP server host:port. Required."),
  /** Sender address. Required. */
  from: emailAddress.describe("Sender address. Required."),
  /** SMTP user; its password is the secret `smtp`. Default none (no authentication). */
  authUsername: z.string().min(1).optional().describe("SMTP user; its password is the secret smtp. Default none (no authentication)."),
  /** Require STARTTLS. Default true. */
  requireTls: z.boolean().default(true).describe("Require STARTTLS. Default true."),
});

// ---------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------

const DEFAULT_RECEIVERS = [{ name: "default", webhook: [{}] }];

const baseSchema = strictObject({
  /**
   * Who can be notified. Default: one receiver `default` with a webhook, whose URL is the secret
   * `default.webhook[0]`: a working route, not a null receiver that drops every alert.
   */
  receivers: z.array(receiverSchema).min(1, "needs at least one receiver").default(DEFAULT_RECEIVERS).describe("Who can be notified. Default: one receiver default with a webhook (secret default.webhook[0])."),
  /** The route tree. Default: everything to the first receiver. */
  route: rootRouteSchema.default({}).describe("The route tree. Default: everything to the first receiver, grouped by alertname and job."),
  /** Inhibition rules. Default: critical silences warning of the same alert and instance; TargetDown silences the other alerts of its target. */
  inhibitRules: z.array(inhibitRuleSchema).default(DEFAULT_INHIBIT_RULES).describe("Inhibition rules. Default: critical silences warning of the same alertname and instance; TargetDown silences the other alerts of its job and instance; ServiceDown silences the other alerts of its job."),
  /** Named time intervals routes can be muted during. Default none. */
  muteTimeIntervals: z.array(muteTimeIntervalSchema).default([]).describe("Named time intervals routes can be muted during. Default none."),
  /** The dead-man's switch route. Default: no dedicated route. */
  watchdog: watchdogSchema.default({}).describe("The dead-man's switch route for the always-firing Watchdog alert. Default: no dedicated route."),
  /** Global SMTP settings for email receivers. Default none (each email sets smarthost and from). */
  smtp: smtpSchema.optional().describe("Global SMTP settings for email receivers. Default none (each email sets smarthost and from)."),
});

type BaseOutput = z.output<typeof baseSchema>;

/**
 * One alert-routing definition, validated, with every default applied. Cross-field problems (an
 * unknown receiver, an undefined mute interval, a duplicate name) are issues at their path.
 */
export const alertingSchema = baseSchema
  .transform((cfg) => ({ ...cfg, route: { ...cfg.route, receiver: cfg.route.receiver ?? cfg.receivers[0]?.name ?? "" } }))
  .superRefine((cfg, ctx) => {
    for (const [path, message] of crossFieldIssues(cfg)) ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  });

/** The routing definition as the renderers see it: defaults applied. */
export type AlertingConfig = z.output<typeof alertingSchema>;
/** The routing definition as written in `Pulumi.<stack>.yaml`. */
export type AlertingConfigInput = z.input<typeof alertingSchema>;
export type Receiver = AlertingConfig["receivers"][number];
export type MuteTimeInterval = AlertingConfig["muteTimeIntervals"][number];
export type InhibitRule = AlertingConfig["inhibitRules"][number];

type Path = (string | number)[];

function crossFieldIssues(cfg: BaseOutput & { route: { receiver: string } }): [Path, string][] {
  const issues: [Path, string][] = [];
  const names = new Map<string, number>();
  cfg.receivers.forEach((r, i) => {
    if (names.has(r.name)) issues.push([["receivers", i, "name"], `"${r.name}" is already the name of receivers[${names.get(r.name)}]; receiver names must be unique`]);
    else names.set(r.name, i);
    if (!INTEGRATIONS.some((k) => (r[k]?.length ?? 0) > 0)) {
      issues.push([["receivers", i], `receiver "${r.name}" has no integration; give it at least one of ${INTEGRATIONS.join(", ")}`]);
    }
    (r.email ?? []).forEach((e, j) => {
      if (!e.smarthost && !cfg.smtp) issues.push([["receivers", i, "email", j, "smarthost"], "is required when smtp is not set (e.g. smtp.example.com:587)"]);
      if (!e.from && !cfg.smtp) issues.push([["receivers", i, "email", j, "from"], "is required when smtp is not set (e.g. alertmanager@example.com)"]);
    });
  });
  const receiverList = [...names.keys()].join(", ");
  const checkReceiver = (path: Path, name: string | undefined) => {
    if (name !== undefined && !names.has(name)) issues.push([path, `"${name}" is not a receiver (receivers: ${receiverList})`]);
  };

  const intervals = new Map<string, number>();
  cfg.muteTimeIntervals.forEach((m, i) => {
    if (intervals.has(m.name)) issues.push([["muteTimeIntervals", i, "name"], `"${m.name}" is already the name of muteTimeIntervals[${intervals.get(m.name)}]; names must be unique`]);
    else intervals.set(m.name, i);
  });
  const intervalList = intervals.size > 0 ? `defined: ${[...intervals.keys()].join(", ")}` : "none is defined in muteTimeIntervals";

  checkReceiver(["route", "receiver"], cfg.route.receiver);
  checkReceiver(["watchdog", "receiver"], cfg.watchdog.receiver);
  const walk = (routes: Route[], path: Path, depth: number) => {
    routes.forEach((r, i) => {
      const here = [...path, i];
      checkReceiver([...here, "receiver"], r.receiver);
      (r.muteTimeIntervals ?? []).forEach((name, j) => {
        if (!intervals.has(name)) issues.push([[...here, "muteTimeIntervals", j], `"${name}" is not a mute time interval (${intervalList})`]);
      });
      if (r.routes.length > 0 && depth >= MAX_ROUTE_DEPTH) {
        issues.push([[...here, "routes"], `routes nest at most ${MAX_ROUTE_DEPTH} levels deep (the limit of Grafana notification policies)`]);
      } else {
        walk(r.routes, [...here, "routes"], depth + 1);
      }
    });
  };
  walk(cfg.route.routes, ["route", "routes"], 1);
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

/** One secret a config needs: its key, the config path of its integration, what it is. */
export interface SecretRequirement {
  key: string;
  path: Path;
  meaning: string;
}

/** `oncall.pagerduty[0]`: the key of the secret of a receiver's integration. */
export function secretKey(receiver: string, integration: Integration, index: number): string {
  return `${receiver}.${integration}[${index}]`;
}

/** Every secret the config needs, with where it is needed. */
export function secretRequirements(cfg: AlertingConfig): SecretRequirement[] {
  const out: SecretRequirement[] = [];
  if (cfg.smtp?.authUsername) out.push({ key: SMTP_SECRET_KEY, path: ["smtp", "authUsername"], meaning: "the SMTP password" });
  cfg.receivers.forEach((r, i) => {
    for (const kind of INTEGRATIONS) {
      (r[kind] ?? []).forEach((integration, j) => {
        // An email without its own user authenticates with the global SMTP password (or not at all).
        if (kind === "email" && !(integration as { authUsername?: string }).authUsername) return;
        out.push({ key: secretKey(r.name, kind, j), path: ["receivers", i, kind, j], meaning: SECRET_MEANING[kind] });
      });
    }
  });
  return out;
}

/** The secret keys the config needs (`default.webhook[0]`, `oncall.pagerduty[0]`, `smtp`). */
export function requiredSecretKeys(cfg: AlertingConfig): string[] {
  return secretRequirements(cfg).map((s) => s.key);
}

// ---------------------------------------------------------------------------------------------
// Validation entry points
// ---------------------------------------------------------------------------------------------

/** `observability:alerting` + `["route", "routes", 1, "receiver"]` → `observability:alerting.route.routes[1].receiver`. */
export function formatPath(prefix: string, path: Path): string {
  return `${prefix}${path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `["${p}"]`)).join("")}`;
}

function issueText(prefix: string, path: Path, message: string): string {
  // "x.to is required" reads better than "x.to: is required".
  return /^(is|must|needs) /.test(message) ? `${formatPath(prefix, path)} ${message}` : `${formatPath(prefix, path)}: ${message}`;
}

function zodIssues(error: z.ZodError, prefix: string): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === z.ZodIssueCode.unrecognized_keys) return issue.keys.map((key) => issueText(prefix, [...issue.path, key], `"${key}" ${issue.message}`));
    if (issue.code === z.ZodIssueCode.invalid_type) {
      if (issue.received === "undefined") return [issueText(prefix, issue.path, "is required")];
      return [issueText(prefix, issue.path, `must be ${article(issue.expected)}, not ${article(issue.received)}`)];
    }
    return [issueText(prefix, issue.path, issue.message)];
  });
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Options of `validateAlerting` / `parseAlerting`. */
export interface AlertingValidationOptions {
  /**
   * The secret keys the stack was given (the keys of `observability:alertingSecrets`). Default:
   * not checked, for callers that only validate the shape.
   */
  secretKeys?: readonly string[];
  /** Prefix of every path in the messages. Default `observability:alerting`. */
  pathPrefix?: string;
  /** Where the secrets live, for the messages. Default `observability:alertingSecrets`. */
  secretsPath?: string;
}

/**
 * Every problem of a raw routing definition, each naming its config path and what would be
 * valid; empty when the definition is valid. Pure.
 */
export function validateAlerting(raw: unknown, opts: AlertingValidationOptions = {}): string[] {
  return check(raw, opts).issues;
}

/**
 * Secret problems of a parsed definition: a secret it needs and was not given, or a given one it
 * does not use (a typo in a key would otherwise leave a receiver without its credential).
 */
export function secretIssues(cfg: AlertingConfig, given: readonly string[], opts: Omit<AlertingValidationOptions, "secretKeys"> = {}): string[] {
  const prefix = opts.pathPrefix ?? ALERTING_PATH;
  const secretsPath = opts.secretsPath ?? ALERTING_SECRETS_PATH;
  const [ns, key] = splitConfigKey(secretsPath);
  const have = new Set(given);
  const needed = secretRequirements(cfg);
  const issues = needed
    .filter((s) => !have.has(s.key))
    .map((s) => `${formatPath(prefix, s.path)} needs the secret ${secretsPath}["${s.key}"] (${s.meaning}): pulumi config set --secret --path '${ns}:${key}["${s.key}"]' <value>`);
  const wanted = new Set(needed.map((s) => s.key));
  const keyList = needed.length > 0 ? needed.map((s) => s.key).join(", ") : "none";
  for (const k of [...have].filter((k) => !wanted.has(k)).sort()) issues.push(`${secretsPath}["${k}"] is not used by any receiver (secrets used: ${keyList})`);
  return issues;
}

function splitConfigKey(full: string): [string, string] {
  const i = full.indexOf(":");
  return i < 0 ? ["observability", full] : [full.slice(0, i), full.slice(i + 1)];
}

function check(raw: unknown, opts: AlertingValidationOptions): { config?: AlertingConfig; issues: string[] } {
  const prefix = opts.pathPrefix ?? ALERTING_PATH;
  const parsed = alertingSchema.safeParse(raw ?? {});
  if (!parsed.success) return { issues: zodIssues(parsed.error, prefix) };
  const issues = opts.secretKeys ? secretIssues(parsed.data, opts.secretKeys, opts) : [];
  return { config: parsed.data, issues };
}

/** A routing definition that failed validation; `issues` holds one message per problem. */
export class AlertingConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(formatIssues(issues));
    this.name = "AlertingConfigError";
  }
}

/** The issues as one message, each on its own line. */
export function formatIssues(issues: readonly string[]): string {
  return `invalid alerting configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${issues.map((i) => `  - ${i}`).join("\n")}`;
}

/** Validates and applies defaults; throws an `AlertingConfigError` listing every problem. Pure. */
export function parseAlerting(raw: unknown, opts: AlertingValidationOptions = {}): AlertingConfig {
  const { config, issues } = check(raw, opts);
  if (issues.length > 0 || !config) throw new AlertingConfigError(issues);
  return config;
}

/**
 * A routing definition showing the intended shape: Watchdog to its dead-man's switch, critical
 * pages on-call (and continues so the owning channel hears of it too), a `team` label goes to
 * that team, remaining warnings and criticals to the shared chat channel, anything else to the
 * default webhook. Its secrets: `requiredSecretKeys(parseAlerting(exampleAlerting))`.
 */
export const exampleAlerting: AlertingConfigInput = {
  smtp: { smarthost: "smtp.example.com:587", from: "alertmanager@example.com", authUsername: "alertmanager" },
  receivers: [
    { name: "default", webhook: [{}] },
    { name: "oncall", pagerduty: [{}] },
    { name: "chat", slack: [{ channel: "#alerts" }] },
    { name: "db", slack: [{ channel: "#team-db" }], email: [{ to: "db-team@example.com" }] },
    { name: "security", email: [{ to: "security@example.com" }] },
    { name: "deadmans-switch", webhook: [{ sendResolved: false }] },
  ],
  route: {
    receiver: "default",
    routes: [
      { matchers: ['severity="critical"'], receiver: "oncall", continue: true, groupWait: "10s" },
      { matchers: ['team="db"'], receiver: "db" },
      { matchers: ['team="security"'], receiver: "security" },
      { matchers: ['severity=~"critical|warning"'], receiver: "chat" },
    ],
  },
  watchdog: { receiver: "deadmans-switch" },
};
