import { backupTargets } from "../components/backups/config";
import { z } from "zod";
import { configPath } from "../components/stack/config-loader";
import { backupSecretKeys, backupsIssues, backupsSchema, ConfigIssue, staleAfterSeconds } from "../components/backups/config";
import { cron, longestGapSeconds, matches, nextRuns, parseCron } from "../components/backups/cron";

// The loader's format (components/stack/config-loader.ts): `observability:<path>: message`, or a space before is/must/needs.
const text = ([path, message]: ConfigIssue) => `${configPath(path)}${/^(is|must|needs) /.test(message) ? " " : ": "}${message}`;
const schema = z.object({ backups: backupsSchema.default({}) });
function schemaErrors(raw: Record<string, unknown>): string[] {
  const parsed = schema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => text([i.path, i.message]));
}
const backups = (raw: Record<string, unknown> = {}) => backupsSchema.parse(raw);
const noSecrets = new Set<string>();
const s3Secrets = new Set<string>(Object.values(backupSecretKeys));
const utc = (iso: string) => new Date(`${iso}Z`);

describe("backups config defaults", () => {
  it("is off, and when on backs up Prometheus, and Grafana and Alertmanager when deployed, every 6 hours to a 50Gi volume, keeping 7", () => {
    expect(backups()).toStrictEqual({
      enabled: false,
      schedule: "0 */6 * * *",
      keep: 7,
      targets: { prometheus: true },
      destination: { type: "volume", size: "50Gi" },
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    });
    expect(backupsIssues(backups({ enabled: true }), noSecrets)).toStrictEqual([]);
    // Unset, Grafana and Alertmanager follow whether the stack deploys them; set, they are as set.
    expect(backupTargets(backups({ enabled: true }), { grafana: true, alertmanager: true })).toStrictEqual(["prometheus", "grafana", "alertmanager"]);
    expect(backupTargets(backups({ enabled: true }), { grafana: false, alertmanager: true })).toStrictEqual(["prometheus", "alertmanager"]);
    expect(backupTargets(backups({ enabled: true, targets: { alertmanager: false } }), { grafana: true, alertmanager: true })).toStrictEqual(["prometheus", "grafana"]);
  });

  it("checks nothing while disabled", () => {
    expect(backupsIssues(backups({ schedule: "never", destination: { type: "s3" } }), noSecrets)).toStrictEqual([]);
  });
});

describe("backups config errors", () => {
  it.each([
    [{ backups: { keep: 0 } }, "observability:backups.keep must be a whole number of at least 1 (e.g. 7)"],
    [{ backups: { keep: 2.5 } }, "observability:backups.keep must be a whole number of at least 1 (e.g. 7)"],
    [{ backups: { destination: { type: "gcs" } } }, 'observability:backups.destination.type: "gcs" is not a destination type (types: s3, volume)'],
    [{ backups: { destination: { size: "lots" } } }, 'observability:backups.destination.size: "lots" is not a positive storage size (e.g. 10Gi, 500Mi)'],
    [{ backups: { destination: { type: "s3", bucket: "My_Bucket" } } }, "observability:backups.destination.bucket must be an S3 bucket name (3-63 lowercase letters, digits, . and -, e.g. acme-backups)"],
    [{ backups: { destination: { prefix: "/prod/" } } }, "observability:backups.destination.prefix must be a relative folder path (letters, digits, . _ - separated by /, no leading or trailing /, e.g. prod/observability)"],
    [{ backups: { schedule: 6 } }, 'observability:backups.schedule must be a cron expression, e.g. "0 */6 * * *" (minute hour day-of-month month day-of-week, UTC)'],
  ])("%j → %s", (raw, message) => {
    expect(schemaErrors(raw)).toStrictEqual([message]);
  });

  it("names the valid targets when one is unknown", () => {
    const parsed = schema.safeParse({ backups: { targets: { loki: true } } });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => [i.path, i.message])).toStrictEqual([[["backups", "targets"], "is not a known field (fields: alertmanager, grafana, prometheus)"]]);
  });

  it("rejects a schedule that is not a cron expression, naming the field and showing one that is", () => {
    expect(backupsIssues(backups({ enabled: true, schedule: "0 25 * * *" }), noSecrets).map(text)).toStrictEqual([
      'observability:backups.schedule: "0 25 * * *" is not a cron expression: field 2 (hour) "25" is out of range 0-23; e.g. "0 */6 * * *" (minute hour day-of-month month day-of-week, UTC)',
    ]);
    expect(backupsIssues(backups({ enabled: true, schedule: "every day" }), noSecrets).map(text)).toStrictEqual([
      'observability:backups.schedule: "every day" is not a cron expression: has 2 fields, expected 5 (minute hour day-of-month month day-of-week); e.g. "0 */6 * * *" (minute hour day-of-month month day-of-week, UTC)',
    ]);
  });

  it("rejects a schedule no date matches", () => {
    expect(backupsIssues(backups({ enabled: true, schedule: "0 0 30 2 *" }), noSecrets).map(text)).toStrictEqual([
      'observability:backups.schedule: "0 0 30 2 *" never runs: no date matches it; e.g. "0 */6 * * *" (minute hour day-of-month month day-of-week, UTC)',
    ]);
  });

  it("requires a bucket and both credentials for S3", () => {
    expect(backupsIssues(backups({ enabled: true, destination: { type: "s3" } }), noSecrets).map(text)).toStrictEqual([
      "observability:backups.destination.bucket is required when backups.destination.type is s3",
      "observability:backupS3AccessKeyId is required when backups.destination.type is s3: pulumi config set --secret backupS3AccessKeyId '<access key id>'",
      "observability:backupS3SecretAccessKey is required when backups.destination.type is s3: pulumi config set --secret backupS3SecretAccessKey '<secret access key>'",
    ]);
    expect(backupsIssues(backups({ enabled: true, destination: { type: "s3", bucket: "acme-backups" } }), new Set([backupSecretKeys.backupS3AccessKeyId])).map(text)).toStrictEqual([
      "observability:backupS3SecretAccessKey is required when backups.destination.type is s3: pulumi config set --secret backupS3SecretAccessKey '<secret access key>'",
    ]);
    expect(backupsIssues(backups({ enabled: true, destination: { type: "s3", bucket: "acme-backups", endpoint: "http://minio:9000" } }), s3Secrets)).toStrictEqual([]);
  });

  it("rejects S3 settings on a volume destination, naming both fields", () => {
    expect(backupsIssues(backups({ enabled: true, destination: { bucket: "acme-backups", region: "eu-west-1" } }), noSecrets).map(text)).toStrictEqual([
      "observability:backups.destination.bucket is only read when backups.destination.type is s3 (it is volume): remove it or set the type to s3",
      "observability:backups.destination.region is only read when backups.destination.type is s3 (it is volume): remove it or set the type to s3",
    ]);
  });

  it("rejects backups with every target turned off", () => {
    expect(backupsIssues(backups({ enabled: true, targets: { prometheus: false, grafana: false, alertmanager: false } }), noSecrets).map(text)).toStrictEqual([
      "observability:backups.targets: selects nothing to back up: set at least one of prometheus, grafana, alertmanager to true, or backups.enabled to false",
    ]);
  });
});

describe("cron parser", () => {
  it("expands lists, ranges, steps and names", () => {
    const c = cron("*/15 9-17/4 1,15 JAN-mar/2 mon-FRI");
    expect([c.minutes, c.hours, c.daysOfMonth, c.months, c.daysOfWeek]).toStrictEqual([[0, 15, 30, 45], [9, 13, 17], [1, 15], [1, 3], [1, 2, 3, 4, 5]]);
    expect([c.domStar, c.dowStar]).toStrictEqual([false, false]);
    expect(cron("5/20 0 * * *").minutes).toStrictEqual([5, 25, 45]);
    expect(cron("0 0 ? * SUN,sat").daysOfWeek).toStrictEqual([0, 6]);
    expect(cron("0 0 */2 * *").domStar).toBe(true);
  });

  it.each([
    ["@hourly", "0 * * * *"],
    ["@daily", "0 0 * * *"],
    ["@midnight", "0 0 * * *"],
    ["@weekly", "0 0 * * 0"],
    ["@monthly", "0 0 1 * *"],
    ["@yearly", "0 0 1 1 *"],
    ["@ANNUALLY", "0 0 1 1 *"],
  ])("reads the macro %s as %s", (macro, fields) => {
    const { source: _a, ...expanded } = cron(macro);
    const { source: _b, ...expected } = cron(fields);
    expect(expanded).toStrictEqual(expected);
  });

  it.each([
    ["0 25 * * *", 'field 2 (hour) "25" is out of range 0-23'],
    ["60 * * * *", 'field 1 (minute) "60" is out of range 0-59'],
    ["0 0 0 * *", 'field 3 (day-of-month) "0" is out of range 1-31'],
    ["0 0 * 13 *", 'field 4 (month) "13" is out of range 1-12'],
    ["0 0 * * 7", 'field 5 (day-of-week) "7" is out of range 0-6 (Sunday is 0: Kubernetes refuses 7)'],
    ["0 0 * * MON-XYZ", 'field 5 (day-of-week) "XYZ" is not a number or a name (SUN MON TUE WED THU FRI SAT)'],
    ["0 0 * FOO *", 'field 4 (month) "FOO" is not a number or a name (JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC)'],
    ["*/0 * * * *", 'field 1 (minute) "*/0": the step after / must be a whole number of at least 1'],
    ["0 17-9 * * *", 'field 2 (hour) "17-9": the range starts after it ends (17 > 9)'],
    ["0 1,,2 * * *", 'field 2 (hour) "1,,2" has an empty list item'],
    ["0 1-2-3 * * *", 'field 2 (hour) "1-2-3" is not a value or a range (e.g. 5, 1-5)'],
    ["0 -1 * * *", 'field 2 (hour) "-1" is not a value or a range (e.g. 5, 1-5)'],
    ["* * * *", "has 4 fields, expected 5 (minute hour day-of-month month day-of-week)"],
    ["0 0 * * * *", "has 6 fields, expected 5 (minute hour day-of-month month day-of-week)"],
    ["", "has 0 fields, expected 5 (minute hour day-of-month month day-of-week)"],
    ["@every 1h", '"@every 1h" is not a known macro (macros: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)'],
  ])("rejects %j: %s", (expr, error) => {
    expect(parseCron(expr)).toStrictEqual({ ok: false, error });
  });

  it("matches in UTC, with day-of-month OR day-of-week when both are restricted", () => {
    const both = cron("0 12 1 * MON");
    expect(matches(both, utc("2025-01-01T12:00:00"))).toBe(true); // the 1st, a Wednesday
    expect(matches(both, utc("2025-01-06T12:00:00"))).toBe(true); // a Monday, the 6th
    expect(matches(both, utc("2025-01-07T12:00:00"))).toBe(false);
    expect(matches(both, utc("2025-01-06T12:01:00"))).toBe(false);
    // With day-of-month `*` (or `*/n`), day-of-week alone decides: AND, not OR.
    expect(matches(cron("0 12 * * MON"), utc("2025-01-01T12:00:00"))).toBe(false);
    expect(matches(cron("0 12 */2 * MON"), utc("2025-01-07T12:00:00"))).toBe(false); // odd day, Tuesday
    expect(matches(cron("0 12 */2 * MON"), utc("2025-01-13T12:00:00"))).toBe(true); // odd day, Monday
    expect(matches(cron("0 12 */2 * MON"), utc("2025-01-06T12:00:00"))).toBe(false); // even day, Monday
    // Seconds are ignored.
    expect(matches(cron("30 2 * * *"), utc("2025-03-30T02:30:59"))).toBe(true);
  });

  it("lists the next runs, across month ends and leap days", () => {
    const iso = (ds: Date[]) => ds.map((d) => d.toISOString());
    expect(iso(nextRuns(cron("0 */6 * * *"), utc("2025-01-01T05:59:00"), 3))).toStrictEqual(["2025-01-01T06:00:00.000Z", "2025-01-01T12:00:00.000Z", "2025-01-01T18:00:00.000Z"]);
    // `from` itself is excluded.
    expect(iso(nextRuns(cron("0 */6 * * *"), utc("2025-01-01T06:00:00"), 1))).toStrictEqual(["2025-01-01T12:00:00.000Z"]);
    expect(iso(nextRuns(cron("0 12 1 * MON"), utc("2025-01-01T13:00:00"), 4))).toStrictEqual([
      "2025-01-06T12:00:00.000Z",
      "2025-01-13T12:00:00.000Z",
      "2025-01-20T12:00:00.000Z",
      "2025-01-27T12:00:00.000Z",
    ]);
    expect(iso(nextRuns(cron("0 0 31 * *"), utc("2025-01-31T00:00:00"), 2))).toStrictEqual(["2025-03-31T00:00:00.000Z", "2025-05-31T00:00:00.000Z"]);
    expect(iso(nextRuns(cron("0 0 29 2 *"), utc("2025-01-01T00:00:00"), 2))).toStrictEqual(["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]);
    // UTC has no DST: 02:30 exists on the day Europe skips it.
    expect(iso(nextRuns(cron("30 2 * * *"), utc("2025-03-29T03:00:00"), 2))).toStrictEqual(["2025-03-30T02:30:00.000Z", "2025-03-31T02:30:00.000Z"]);
    expect(nextRuns(cron("0 0 30 2 *"), utc("2025-01-01T00:00:00"), 1)).toStrictEqual([]);
  });

  it("agrees with matches() minute by minute over two weeks", () => {
    for (const expr of ["0 12 1 * MON", "*/7 1-3,22 * * *", "15 */5 10-20 * SAT,SUN", "0 3 * * 1"]) {
      const c = cron(expr);
      const from = utc("2025-02-20T00:00:00");
      const expected: string[] = [];
      for (let t = from.getTime() + 60_000; t <= from.getTime() + 14 * 86_400_000; t += 60_000) if (matches(c, new Date(t))) expected.push(new Date(t).toISOString());
      expect([expr, nextRuns(c, from, expected.length).map((d) => d.toISOString())]).toStrictEqual([expr, expected]);
    }
  });
});

describe("staleness window", () => {
  it.each([
    ["0 */6 * * *", 43200],
    ["30 2 * * *", 172800],
    ["0 3 * * 1", 1209600],
    ["@hourly", 7200],
    ["0 1,2 * * *", 2 * 23 * 3600],
    // The longest gap between two 31sts: 31 May → 31 July (or August → October) is 61 days.
    ["0 0 31 * *", 2 * 61 * 86400],
  ])("%s → %d s (twice the longest gap between runs)", (schedule, seconds) => {
    expect(staleAfterSeconds(schedule)).toBe(seconds);
  });

  it("has no gap for a schedule that never runs, and throws for it", () => {
    expect(longestGapSeconds(cron("0 0 31 4 *"))).toBeUndefined();
    expect(() => staleAfterSeconds("0 0 31 4 *")).toThrow('cron "0 0 31 4 *" never runs');
  });
});
