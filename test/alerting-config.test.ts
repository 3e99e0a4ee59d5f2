import {
  AlertingConfigError,
  AlertingConfigInput,
  alertingSchema,
  exampleAlerting,
  formatIssues,
  parseAlerting,
  parseMatcher,
  requiredSecretKeys,
  validateAlerting,
} from "../components/alerting/config";

// Three receivers, the shape of most of the cases below; each case changes one thing.
const base = (extra: Partial<AlertingConfigInput> = {}): AlertingConfigInput => ({
  receivers: [
    { name: "default", webhook: [{}] },
    { name: "oncall", pagerduty: [{}] },
    { name: "chat", slack: [{ channel: "#alerts" }] },
  ],
  ...extra,
});

const withRoutes = (routes: NonNullable<AlertingConfigInput["route"]>["routes"], extra: Partial<AlertingConfigInput> = {}) => base({ route: { receiver: "default", routes }, ...extra });

const ALL_SECRETS = ["default.webhook[0]", "oncall.pagerduty[0]", "chat.slack[0]"];

describe("alerting config: defaults", () => {
  it("gives a working route to one webhook receiver when nothing is configured", () => {
    // GIVEN no alerting config, WHEN it is parsed, THEN every default is applied.
    expect(parseAlerting({})).toStrictEqual({
      receivers: [{ name: "default", webhook: [{ sendResolved: true, maxAlerts: 0 }] }],
      route: { receiver: "default", groupBy: ["alertname", "job"], groupWait: "30s", groupInterval: "5m", repeatInterval: "4h", routes: [] },
      inhibitRules: [
        { sourceMatchers: ['severity="critical"'], targetMatchers: ['severity="warning"'], equal: ["alertname", "instance"] },
        { sourceMatchers: ['alertname="TargetDown"'], targetMatchers: ['alertname!="TargetDown"'], equal: ["job", "instance"] },
        { sourceMatchers: ['alertname="ServiceDown"'], targetMatchers: ['alertname!="ServiceDown"'], equal: ["job"] },
      ],
      muteTimeIntervals: [],
      watchdog: { repeatInterval: "1m" },
    });
  });

  it("needs exactly the default webhook's URL as a secret by default", () => {
    expect(requiredSecretKeys(parseAlerting({}))).toStrictEqual(["default.webhook[0]"]);
  });

  it("routes to the first receiver when the route names none", () => {
    expect(parseAlerting({ receivers: [{ name: "chat", slack: [{ channel: "#ops" }] }] }).route.receiver).toBe("chat");
  });

  it("applies child-route and integration defaults", () => {
    const cfg = parseAlerting(withRoutes([{ matchers: ['team="db"'], receiver: "chat" }]));
    expect(cfg.route.routes[0]).toStrictEqual({ matchers: ['team="db"'], receiver: "chat", continue: false, routes: [] });
    expect(cfg.receivers[2].slack).toStrictEqual([{ channel: "#alerts", sendResolved: true }]);
    expect(cfg.receivers[1].pagerduty).toStrictEqual([{ sendResolved: true }]);
  });

  it("accepts the example routing and needs one secret per integration with a credential", () => {
    const cfg = parseAlerting(exampleAlerting);
    expect(cfg.route.routes.map((r) => r.receiver)).toStrictEqual(["oncall", "db", "security", "chat"]);
    // The emails authenticate with the global SMTP password, so they need no secret of their own.
    expect(requiredSecretKeys(cfg)).toStrictEqual(["smtp", "default.webhook[0]", "oncall.pagerduty[0]", "chat.slack[0]", "db.slack[0]", "deadmans-switch.webhook[0]"]);
  });

  it("needs an email's own SMTP password only when it has its own user", () => {
    const cfg = parseAlerting({
      receivers: [{ name: "ops", email: [{ to: "a@example.com", smarthost: "smtp.example.com:587", from: "am@example.com" }, { to: "b@example.com", smarthost: "smtp.example.com:587", from: "am@example.com", authUsername: "am" }] }],
    });
    expect(requiredSecretKeys(cfg)).toStrictEqual(["ops.email[1]"]);
  });

  it.each(["40s", "41s", "1m", "90s", "1h"])("accepts a %s watchdog period", (period) => {
    expect(validateAlerting(base({ watchdog: { receiver: "chat", repeatInterval: period } }))).toStrictEqual([]);
    expect(parseAlerting(base({ watchdog: { receiver: "chat", repeatInterval: period } })).watchdog).toStrictEqual({ receiver: "chat", repeatInterval: period });
  });

  it("keeps the schema usable inside the stack schema (defaults from an empty object)", () => {
    expect(alertingSchema.safeParse({}).success).toBe(true);
    expect(alertingSchema.safeParse({ receivers: [] }).success).toBe(false);
  });
});

describe("alerting config: rejected with the path and what would be valid", () => {
  it.each<[string, unknown, string[]]>([
    [
      "a route to an unknown receiver",
      withRoutes([{ matchers: ['severity="critical"'], receiver: "oncall" }, { matchers: ['severity="warning"'], receiver: "pager" }]),
      ['observability:alerting.route.routes[1].receiver: "pager" is not a receiver (receivers: default, oncall, chat)'],
    ],
    ["a root route to an unknown receiver", base({ route: { receiver: "nobody" } }), ['observability:alerting.route.receiver: "nobody" is not a receiver (receivers: default, oncall, chat)']],
    [
      "a nested route to an unknown receiver",
      withRoutes([{ matchers: ['team="db"'], receiver: "chat", routes: [{ matchers: ['severity="critical"'], receiver: "db-pager" }] }]),
      ['observability:alerting.route.routes[0].routes[0].receiver: "db-pager" is not a receiver (receivers: default, oncall, chat)'],
    ],
    ["a watchdog to an unknown receiver", base({ watchdog: { receiver: "deadman" } }), ['observability:alerting.watchdog.receiver: "deadman" is not a receiver (receivers: default, oncall, chat)']],
    [
      "a receiver with no integration",
      { receivers: [{ name: "default", webhook: [{}] }, { name: "oncall" }] },
      ['observability:alerting.receivers[1]: receiver "oncall" has no integration; give it at least one of email, slack, pagerduty, opsgenie, msteams, webhook'],
    ],
    [
      "a receiver whose integration lists are empty",
      { receivers: [{ name: "chat", slack: [], webhook: [] }] },
      ['observability:alerting.receivers[0]: receiver "chat" has no integration; give it at least one of email, slack, pagerduty, opsgenie, msteams, webhook'],
    ],
    ["two receivers with one name", base({ receivers: [{ name: "chat", webhook: [{}] }, { name: "chat", slack: [{ channel: "#a" }] }] }), ['observability:alerting.receivers[1].name: "chat" is already the name of receivers[0]; receiver names must be unique']],
    ["a receiver name that would make secret keys ambiguous", { receivers: [{ name: "on.call", webhook: [{}] }] }, ['observability:alerting.receivers[0].name: "on.call" is not a receiver name (letters, digits, _ and -, starting with a letter or digit)']],
    [
      "a matcher with a doubled operator",
      withRoutes([{ matchers: ['severity=="critical"'], receiver: "oncall" }]),
      [`observability:alerting.route.routes[0].matchers[0]: 'severity=="critical"' is not a matcher (label, one of = != =~ !~, then a "quoted value", e.g. severity="critical" or team=~"db|infra")`],
    ],
    [
      "a matcher whose label starts with a digit",
      withRoutes([{ matchers: ['1team="db"'], receiver: "chat" }]),
      [`observability:alerting.route.routes[0].matchers[0]: '1team="db"' is not a matcher (label, one of = != =~ !~, then a "quoted value", e.g. severity="critical" or team=~"db|infra")`],
    ],
    [
      "a matcher without an operator",
      withRoutes([{ matchers: ["severity critical"], receiver: "chat" }]),
      [`observability:alerting.route.routes[0].matchers[0]: 'severity critical' is not a matcher (label, one of = != =~ !~, then a "quoted value", e.g. severity="critical" or team=~"db|infra")`],
    ],
    [
      "a matcher with an unterminated quote",
      withRoutes([{ matchers: ['severity="critical'], receiver: "chat" }]),
      [`observability:alerting.route.routes[0].matchers[0]: 'severity="critical' is not a matcher (label, one of = != =~ !~, then a "quoted value", e.g. severity="critical" or team=~"db|infra")`],
    ],
    ["a matcher whose regex does not compile", withRoutes([{ matchers: ['team=~"(db|infra"'], receiver: "chat" }]), [`observability:alerting.route.routes[0].matchers[0]: 'team=~"(db|infra"' has an invalid regex: Unterminated group`]],
    [
      "a matcher with a lookahead RE2 rejects",
      withRoutes([{ matchers: ['team!~"(?!db).*"'], receiver: "chat" }]),
      [`observability:alerting.route.routes[0].matchers[0]: 'team!~"(?!db).*"' uses a lookaround or backreference, which Alertmanager's RE2 regexes do not support`],
    ],
    [
      "an invalid inhibit matcher",
      base({ inhibitRules: [{ sourceMatchers: ["severity=critical"], targetMatchers: ["severity~warning"], equal: [] }] }),
      [`observability:alerting.inhibitRules[0].targetMatchers[0]: 'severity~warning' is not a matcher (label, one of = != =~ !~, then a "quoted value", e.g. severity="critical" or team=~"db|infra")`],
    ],
    ["a malformed group wait", base({ route: { groupWait: "30 seconds" } }), ['observability:alerting.route.groupWait: "30 seconds" is not a duration (e.g. 15d, 12h, 30s)']],
    ["an empty group interval", base({ route: { groupInterval: "" } }), ['observability:alerting.route.groupInterval: "" is not a duration (e.g. 15d, 12h, 30s)']],
    ["units in the wrong order", base({ route: { repeatInterval: "30m4h" } }), ['observability:alerting.route.repeatInterval: "30m4h" is not a duration (e.g. 15d, 12h, 30s)']],
    ["a zero repeat interval", withRoutes([{ receiver: "chat", repeatInterval: "0s" }]), ['observability:alerting.route.routes[0].repeatInterval: "0s" is not a duration (e.g. 15d, 12h, 30s)']],
    ["a malformed watchdog interval", base({ watchdog: { repeatInterval: "1 minute" } }), ['observability:alerting.watchdog.repeatInterval: "1 minute" is not a duration (e.g. 15d, 12h, 30s)']],
    [
      "a watchdog period shorter than two group intervals above the cluster peer timeout",
      base({ watchdog: { receiver: "chat", repeatInterval: "30s" } }),
      [
        `observability:alerting.watchdog.repeatInterval: "30s" must be at least 40s: a heartbeat goes out on a flush of the Watchdog route, whose group interval must stay above Alertmanager's 15s cluster peer timeout (at least 20s, prometheus/alertmanager#2447), and the period needs two of them (e.g. 1m)`,
      ],
    ],
    [
      "a watchdog period just under the shortest",
      base({ watchdog: { repeatInterval: "39s999ms" } }),
      [
        `observability:alerting.watchdog.repeatInterval: "39s999ms" must be at least 40s: a heartbeat goes out on a flush of the Watchdog route, whose group interval must stay above Alertmanager's 15s cluster peer timeout (at least 20s, prometheus/alertmanager#2447), and the period needs two of them (e.g. 1m)`,
      ],
    ],
    ["a watchdog period in fractions of a second", base({ watchdog: { repeatInterval: "1m500ms" } }), ['observability:alerting.watchdog.repeatInterval: "1m500ms" must be a whole number of seconds (e.g. 1m, 90s)']],
    [
      "a mute interval that is not defined",
      withRoutes([{ matchers: ['severity="warning"'], receiver: "chat", muteTimeIntervals: ["nights"] }]),
      ['observability:alerting.route.routes[0].muteTimeIntervals[0]: "nights" is not a mute time interval (none is defined in muteTimeIntervals)'],
    ],
    [
      "a misspelt mute interval",
      withRoutes([{ receiver: "chat", muteTimeIntervals: ["weekend"] }], { muteTimeIntervals: [{ name: "weekends", timeIntervals: [{ weekdays: ["saturday", "sunday"] }] }] }),
      ['observability:alerting.route.routes[0].muteTimeIntervals[0]: "weekend" is not a mute time interval (defined: weekends)'],
    ],
    [
      "two mute intervals with one name",
      base({ muteTimeIntervals: [{ name: "nights", timeIntervals: [{ times: [{ start: "00:00", end: "06:00" }] }] }, { name: "nights", timeIntervals: [{ weekdays: ["sunday"] }] }] }),
      ['observability:alerting.muteTimeIntervals[1].name: "nights" is already the name of muteTimeIntervals[0]; names must be unique'],
    ],
    ["a time range that ends before it starts", base({ muteTimeIntervals: [{ name: "nights", timeIntervals: [{ times: [{ start: "22:00", end: "06:00" }] }] }] }), ["observability:alerting.muteTimeIntervals[0].timeIntervals[0].times[0]: start 22:00 must be before end 06:00"]],
    ["a time zone that does not exist", base({ muteTimeIntervals: [{ name: "nights", timeIntervals: [{ location: "Europe/Atlantis" }] }] }), ['observability:alerting.muteTimeIntervals[0].timeIntervals[0].location: "Europe/Atlantis" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)']],
    ["a weekday typo", base({ muteTimeIntervals: [{ name: "weekends", timeIntervals: [{ weekdays: ["saturday", "sundy"] }] }] }), ['observability:alerting.muteTimeIntervals[0].timeIntervals[0].weekdays[1]: "sundy" is not a weekday or a range of them (e.g. saturday, monday:friday)']],
    [
      "a weekday range across the week's end, which Alertmanager rejects",
      base({ muteTimeIntervals: [{ name: "weekends", timeIntervals: [{ weekdays: ["saturday:sunday"] }] }] }),
      ['observability:alerting.muteTimeIntervals[0].timeIntervals[0].weekdays[0]: "saturday:sunday" runs backwards: weeks run sunday to saturday (list ["saturday", "sunday"] or ranges within one week)'],
    ],
    ["a month range across the new year", base({ muteTimeIntervals: [{ name: "holidays", timeIntervals: [{ months: ["december:january"] }] }] }), ['observability:alerting.muteTimeIntervals[0].timeIntervals[0].months[0]: "december:january" runs backwards: a range cannot cross the new year (use two ranges)']],
    ["a day range that runs backwards", base({ muteTimeIntervals: [{ name: "m", timeIntervals: [{ daysOfMonth: ["20:5"] }] }] }), ['observability:alerting.muteTimeIntervals[0].timeIntervals[0].daysOfMonth[0]: "20:5" runs backwards']],
    ["a day range from the end to the start", base({ muteTimeIntervals: [{ name: "m", timeIntervals: [{ daysOfMonth: ["-3:5"] }] }] }), ['observability:alerting.muteTimeIntervals[0].timeIntervals[0].daysOfMonth[0]: "-3:5" cannot start counting from the end and end counting from the start']],
    ["a year range that runs backwards", base({ muteTimeIntervals: [{ name: "m", timeIntervals: [{ years: ["2030:2025"] }] }] }), ['observability:alerting.muteTimeIntervals[0].timeIntervals[0].years[0]: "2030:2025" runs backwards']],
    [
      "an email without a server when there is no global SMTP",
      { receivers: [{ name: "ops", email: [{ to: "ops@example.com" }] }] },
      ["observability:alerting.receivers[0].email[0].smarthost is required when smtp is not set (e.g. smtp.example.com:587)", "observability:alerting.receivers[0].email[0].from is required when smtp is not set (e.g. alertmanager@example.com)"],
    ],
    ["a PagerDuty severity PagerDuty rejects", { receivers: [{ name: "oncall", pagerduty: [{ severity: "page" }] }] }, ['observability:alerting.receivers[0].pagerduty[0].severity: "page" is not a PagerDuty severity (severities: critical, error, warning, info)']],
    ["a Slack channel without # or @", { receivers: [{ name: "chat", slack: [{ channel: "alerts" }] }] }, ['observability:alerting.receivers[0].slack[0].channel must be a channel or user (e.g. "#alerts", "@oncall")']],
    [
      "a credential written into the config",
      { receivers: [{ name: "chat", slack: [{ channel: "#a", apiUrl: "https://hooks.slack.com/services/T000/B000/XXXX" }] }] },
      ['observability:alerting.receivers[0].slack[0].apiUrl: "apiUrl" is not a known field (fields: channel, sendResolved, text, title)'],
    ],
    ["a typo in a top-level field", { recievers: [] }, ['observability:alerting.recievers: "recievers" is not a known field (fields: inhibitRules, muteTimeIntervals, receivers, route, smtp, watchdog)']],
    ["no receivers at all", { receivers: [] }, ["observability:alerting.receivers needs at least one receiver"]],
    [
      "routes nested deeper than Grafana can hold",
      withRoutes([{ receiver: "chat", routes: [{ routes: [{ routes: [{ routes: [{ matchers: ['a="1"'], routes: [{ receiver: "chat" }] }] }] }] }] }]),
      ["observability:alerting.route.routes[0].routes[0].routes[0].routes[0].routes[0].routes: routes nest at most 5 levels deep (the limit of Grafana notification policies)"],
    ],
  ])("rejects %s", (_name, raw, messages) => {
    expect(validateAlerting(raw)).toStrictEqual(messages);
  });

  it.each<[string, AlertingConfigInput, string[], string[]]>([
    [
      "a missing PagerDuty routing key",
      base(),
      ["default.webhook[0]", "chat.slack[0]"],
      [`observability:alerting.receivers[1].pagerduty[0] needs the secret observability:alertingSecrets["oncall.pagerduty[0]"] (the PagerDuty Events API v2 routing key): pulumi config set --secret --path 'observability:alertingSecrets["oncall.pagerduty[0]"]' <value>`],
    ],
    [
      "a missing global SMTP password",
      { smtp: { smarthost: "smtp.example.com:587", from: "am@example.com", authUsername: "am" }, receivers: [{ name: "ops", email: [{ to: "ops@example.com" }] }] },
      [],
      [`observability:alerting.smtp.authUsername needs the secret observability:alertingSecrets["smtp"] (the SMTP password): pulumi config set --secret --path 'observability:alertingSecrets["smtp"]' <value>`],
    ],
    [
      "a secret whose key has a typo",
      base(),
      ["default.webhook[0]", "oncal.pagerduty[0]", "chat.slack[0]"],
      [
        `observability:alerting.receivers[1].pagerduty[0] needs the secret observability:alertingSecrets["oncall.pagerduty[0]"] (the PagerDuty Events API v2 routing key): pulumi config set --secret --path 'observability:alertingSecrets["oncall.pagerduty[0]"]' <value>`,
        'observability:alertingSecrets["oncal.pagerduty[0]"] is not used by any receiver (secrets used: default.webhook[0], oncall.pagerduty[0], chat.slack[0])',
      ],
    ],
  ])("rejects %s", (_name, raw, given, messages) => {
    expect(validateAlerting(raw, { secretKeys: given })).toStrictEqual(messages);
  });

  it("accepts a config whose every secret is given", () => {
    expect(validateAlerting(base(), { secretKeys: ALL_SECRETS })).toStrictEqual([]);
  });

  it("uses the caller's path prefix", () => {
    expect(validateAlerting(base({ route: { receiver: "x" } }), { pathPrefix: "observability:grafana.alerting" })).toStrictEqual([
      'observability:grafana.alerting.route.receiver: "x" is not a receiver (receivers: default, oncall, chat)',
    ]);
  });

  it("reports every cross-field problem at once, each on its own line", () => {
    const raw = {
      receivers: [{ name: "default", webhook: [{}] }, { name: "default", slack: [{ channel: "#a" }] }, { name: "empty" }],
      route: { receiver: "pager", routes: [{ receiver: "chat", muteTimeIntervals: ["nights"] }] },
    };
    let error: unknown;
    try {
      parseAlerting(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlertingConfigError);
    const issues = (error as AlertingConfigError).issues;
    expect(issues).toStrictEqual([
      'observability:alerting.receivers[1].name: "default" is already the name of receivers[0]; receiver names must be unique',
      'observability:alerting.receivers[2]: receiver "empty" has no integration; give it at least one of email, slack, pagerduty, opsgenie, msteams, webhook',
      'observability:alerting.route.receiver: "pager" is not a receiver (receivers: default, empty)',
      'observability:alerting.route.routes[0].receiver: "chat" is not a receiver (receivers: default, empty)',
      'observability:alerting.route.routes[0].muteTimeIntervals[0]: "nights" is not a mute time interval (none is defined in muteTimeIntervals)',
    ]);
    expect((error as Error).message).toBe(formatIssues(issues));
    expect((error as Error).message.split("\n")).toStrictEqual(["invalid alerting configuration (5 problems):", ...issues.map((i) => `  - ${i}`)]);
  });
});

describe("matchers", () => {
  it.each<[string, unknown]>([
    ['severity="critical"', { label: "severity", op: "=", value: "critical" }],
    ['team=~"db|infra"', { label: "team", op: "=~", value: "db|infra" }],
    ['  env != "prod" ', { label: "env", op: "!=", value: "prod" }],
    ["severity=critical", { label: "severity", op: "=", value: "critical" }],
    ['summary="say \\"hi\\" \\\\ bye"', { label: "summary", op: "=", value: 'say "hi" \\ bye' }],
    ['team=""', { label: "team", op: "=", value: "" }],
    ['instance!~"10\\\\.0\\\\..*"', { label: "instance", op: "!~", value: "10\\.0\\..*" }],
  ])("parses %s", (text, parsed) => {
    expect(parseMatcher(text)).toStrictEqual(parsed);
  });
});
