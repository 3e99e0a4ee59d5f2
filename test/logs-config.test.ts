import { z } from "zod";
import { configPath } from "../components/stack/config-loader";
import { ConfigIssue, logsIssues, logsSchema, logsSecretKeys } from "../components/logs/config";

// The loader's format (components/stack/config-loader.ts): `observability:<path>: message`, or a space before is/must/needs.
const text = ([path, message]: ConfigIssue) => `${configPath(path)}${/^(is|must|needs) /.test(message) ? " " : ": "}${message}`;
const schema = z.object({ logs: logsSchema.default({}) });
function schemaErrors(raw: Record<string, unknown>): string[] {
  const parsed = schema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => text([i.path, i.message]));
}
const logs = (raw: Record<string, unknown> = {}) => logsSchema.parse(raw);
const noSecrets = new Set<string>();
const s3Secrets = new Set<string>(Object.values(logsSecretKeys));

describe("logs config defaults", () => {
  it("enables Loki with 14 days of retention on a 20Gi volume and sane limits", () => {
    const cfg = logs();
    expect(cfg).toMatchObject({ enabled: true, retention: "14d", storage: { type: "filesystem", size: "20Gi" }, hostPort: 3100, rules: [] });
    expect(cfg.limits).toStrictEqual({ ingestionRateMb: 4, ingestionBurstMb: 8, maxLineSize: 262144, maxStreamsPerUser: 5000, rejectOldSamplesMaxAge: "7d" });
    expect(logsIssues(cfg, noSecrets)).toStrictEqual([]);
  });
});

describe("logs config errors", () => {
  it.each([
    [{ logs: { retention: "two weeks" } }, 'observability:logs.retention: "two weeks" is not a duration (e.g. 15d, 12h, 30s)'],
    [{ logs: { storage: { type: "gcs" } } }, 'observability:logs.storage.type: "gcs" is not a storage type (types: filesystem, s3)'],
    [{ logs: { limits: { maxLineSize: -1 } } }, "observability:logs.limits.maxLineSize must be a positive number (e.g. 262144)"],
    [{ logs: { limits: { ingestionRateMb: "fast" } } }, "observability:logs.limits.ingestionRateMb must be a positive number (e.g. 4)"],
    [{ logs: { rules: [{ alert: "X", expr: "sum(x)", severity: "page", summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs" }] } }, 'observability:logs.rules[0].severity: "page" is not a severity (severities: critical, info, warning)'],
    [{ logs: { rules: [{ alert: "has space", expr: "x", summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs" }] } }, "observability:logs.rules[0].alert must be an alert name (letters, digits and _, e.g. ApiErrorLogsBurst)"],
  ])("%j → %s", (raw, message) => {
    expect(schemaErrors(raw)).toStrictEqual([message]);
  });

  it("requires a bucket and both credentials for S3", () => {
    expect(logsIssues(logs({ storage: { type: "s3" } }), noSecrets).map(text)).toStrictEqual([
      "observability:logs.storage.bucket is required when logs.storage.type is s3",
      "observability:lokiS3AccessKeyId is required when logs.storage.type is s3: pulumi config set --secret lokiS3AccessKeyId '<access key id>'",
      "observability:lokiS3SecretAccessKey is required when logs.storage.type is s3: pulumi config set --secret lokiS3SecretAccessKey '<secret access key>'",
    ]);
    expect(logsIssues(logs({ storage: { type: "s3", bucket: "logs" } }), s3Secrets)).toStrictEqual([]);
  });

  it("rejects a retention shorter than the window in which Loki accepts old lines, and says why", () => {
    expect(logsIssues(logs({ retention: "1d" }), noSecrets).map(text)).toStrictEqual([
      "observability:logs.retention: 1d is shorter than logs.limits.rejectOldSamplesMaxAge (7d): Loki would accept lines older than it keeps, and the compactor would delete them right after ingestion; raise the retention or lower rejectOldSamplesMaxAge",
    ]);
    expect(logsIssues(logs({ retention: "1d", limits: { rejectOldSamplesMaxAge: "1d" } }), noSecrets)).toStrictEqual([]);
  });

  it("rejects a retention that is not whole days", () => {
    expect(logsIssues(logs({ retention: "200h" }), noSecrets).map(text)).toStrictEqual([
      'observability:logs.retention: "200h" is not a whole number of days: Loki\'s index has one table per day and the compactor deletes whole days (e.g. 14d, 336h)',
    ]);
  });

  it("names the rule and the position of a LogQL error, and rejects log queries as rules", () => {
    const rules = [
      { alert: "Good", expr: 'sum(count_over_time({level="error"}[5m])) > 0', summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs" },
      { alert: "Typo", expr: 'sum(count_over_time({level="error"}[5m]) > 0', summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs" },
      { alert: "LogQuery", expr: '{level="error"}', summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs" },
      { alert: "Good", expr: 'count_over_time({app="a"}[1m]) > 1', summary: "s", description: "d", runbookUrl: "https://runbooks.example.com/logs" },
    ];
    expect(logsIssues(logs({ rules }), noSecrets).map(text)).toStrictEqual([
      "observability:logs.rules[1].expr is not a valid LogQL rule at line 1, column 45: unexpected end of query",
      'observability:logs.rules[2].expr is not a valid LogQL rule at line 1, column 1: is a log query; a rule needs a metric query (e.g. sum by (service) (count_over_time({level="error"}[5m])) > 0)',
      'observability:logs.rules[3].alert: "Good" is already the alert of logs.rules[0]; alert names must be unique',
    ]);
  });

  it("checks nothing when logs are disabled", () => {
    expect(logsIssues(logs({ enabled: false, retention: "1d", storage: { type: "s3" } }), noSecrets)).toStrictEqual([]);
  });
});
