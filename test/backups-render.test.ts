import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  BackupScriptInput,
  remotePath,
  renderBackupScript,
  renderRcloneConfig,
  renderScheduleMatcher,
  renderSchedulerScript,
  restorableSilences,
  schedulerLists,
  shQuote,
} from "../components/backups/backup-script";
import { cron, matches } from "../components/backups/cron";
import { bin, describeWithBinaries, which } from "./helpers/binaries";

const ALL: BackupScriptInput = {
  prometheus: { url: "http://prometheus:9090", dataDir: "/prometheus" },
  grafana: { dbPath: "/grafana/grafana.db" },
  alertmanager: { url: "http://alertmanager:9093" },
  remote: "backup:acme-backups/prod/observability",
  keep: 7,
  metricsFile: "/metrics/metrics",
  rcloneConfig: "/etc/rclone/rclone.conf",
};
const S3 = { type: "s3" as const, bucket: "acme-backups", prefix: "prod/observability", endpoint: "http://minio:9000", region: "eu-west-1" };
const CREDS = { accessKeyId: "AKIAEXAMPLEKEYID0001", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

// The shells the scripts are checked with: the system's sh (dash on Debian) and busybox's ash, the rclone image's shell.
const SHELLS = [["sh"], ...(which("busybox") ? [["busybox", "sh"]] : [])];
const run = (argv: string[], input?: string) => spawnSync(argv[0], argv.slice(1), { input, encoding: "utf8", timeout: 20000 });

function syntaxErrors(script: string): string[] {
  return SHELLS.map((shell) => run([...shell, "-n"], script)).flatMap((r, i) => (r.status === 0 ? [] : [`${SHELLS[i].join(" ")}: ${r.stderr}`]));
}

describe("backup script", () => {
  it.each([
    ["all three targets", ALL],
    ["Prometheus only", { ...ALL, grafana: undefined, alertmanager: undefined }],
    ["Grafana only", { ...ALL, prometheus: undefined, alertmanager: undefined }],
    ["Alertmanager only", { ...ALL, prometheus: undefined, grafana: undefined }],
  ])("is valid POSIX sh with %s", (_name, input) => {
    expect(syntaxErrors(renderBackupScript(input))).toStrictEqual([]);
  });

  it("runs only the steps of the chosen targets, with set -eu", () => {
    const script = renderBackupScript({ ...ALL, grafana: undefined });
    expect(script.split("\n").slice(0, 3)).toStrictEqual(["#!/bin/sh", "# One backup run (prometheus, alertmanager). Rendered by components/backups/backup-script.ts.", "set -eu"]);
    expect(script).toContain("TARGETS='prometheus alertmanager'");
    expect(script).toContain("backup_prometheus() {");
    expect(script).toContain("backup_alertmanager() {");
    expect(script).not.toContain("backup_grafana");
  });

  it("is the same bytes for the same input", () => {
    expect(renderBackupScript(ALL)).toBe(renderBackupScript({ ...ALL }));
  });

  it("quotes every value it is given", () => {
    const script = renderBackupScript({ ...ALL, prometheus: { url: "http://prom:9090/", dataDir: "/data/it's here" } });
    expect(script).toContain(`PROM_DATA='/data/it'\\''s here'`);
    expect(script).toContain("PROM_URL='http://prom:9090'");
  });

  it("refuses nothing to back up and a keep below 1", () => {
    expect(() => renderBackupScript({ ...ALL, prometheus: undefined, grafana: undefined, alertmanager: undefined })).toThrow("no target to back up");
    expect(() => renderBackupScript({ ...ALL, keep: 0 })).toThrow("keep must be a whole number of at least 1, not 0");
  });
});

describe("rclone config", () => {
  /** rclone.conf's INI: `[section]` then `key = value` lines. */
  function parseIni(text: string): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    let section = "";
    for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
      const header = /^\[(.+)\]$/.exec(line);
      if (header) out[(section = header[1])] = {};
      else {
        const m = /^([a-z_]+) = (.*)$/.exec(line);
        if (!m || !section) throw new Error(`not an INI line: ${line}`);
        out[section][m[1]] = m[2];
      }
    }
    return out;
  }

  it("defines the remote `backup` on the local file system for a volume", () => {
    expect(parseIni(renderRcloneConfig({ type: "volume" }))).toStrictEqual({ backup: { type: "local" } });
    expect(remotePath({ type: "volume" })).toBe("backup:/backups");
    expect(remotePath({ type: "volume", prefix: "prod" }, "/mnt/b")).toBe("backup:/mnt/b/prod");
  });

  it("defines S3 with the keys, the endpoint and region, and no bucket creation", () => {
    expect(parseIni(renderRcloneConfig(S3, CREDS))).toStrictEqual({
      backup: {
        type: "s3",
        provider: "Other",
        env_auth: "false",
        access_key_id: CREDS.accessKeyId,
        secret_access_key: CREDS.secretAccessKey,
        region: "eu-west-1",
        endpoint: "http://minio:9000",
        no_check_bucket: "true",
      },
    });
    expect(parseIni(renderRcloneConfig({ type: "s3", bucket: "b1b" }, CREDS)).backup).toMatchObject({ provider: "AWS", region: "us-east-1" });
    expect(remotePath(S3)).toBe("backup:acme-backups/prod/observability");
  });

  it("refuses S3 without keys, and a key that would break its INI line", () => {
    expect(() => renderRcloneConfig(S3)).toThrow("needs the backupS3AccessKeyId and backupS3SecretAccessKey secrets");
    expect(() => renderRcloneConfig(S3, { ...CREDS, secretAccessKey: "abc\n[evil]" })).toThrow("the backupS3SecretAccessKey secret must be one line without surrounding spaces");
    expect(() => remotePath({ type: "s3" })).toThrow("backups.destination.bucket is required");
  });

  describeWithBinaries("rclone reads it", ["rclone"], () => {
    it("`rclone config dump` gives back the remote as rendered", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-rclone-conf-"));
      try {
        const file = path.join(dir, "rclone.conf");
        fs.writeFileSync(file, renderRcloneConfig(S3, CREDS), { mode: 0o600 });
        const r = run([bin("rclone"), "config", "dump", "--config", file]);
        expect([r.status, r.stderr]).toStrictEqual([0, ""]);
        expect(JSON.parse(r.stdout)).toStrictEqual({
          backup: { type: "s3", provider: "Other", env_auth: "false", access_key_id: CREDS.accessKeyId, secret_access_key: CREDS.secretAccessKey, region: "eu-west-1", endpoint: "http://minio:9000", no_check_bucket: "true" },
        });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe("scheduler", () => {
  const scheduler = (expr: string) => renderSchedulerScript({ schedule: cron(expr), backupScript: "/etc/backup/backup.sh", metricsDir: "/metrics" });

  it.each(["0 */6 * * *", "30 2 * * *", "0 3 * * 1", "0 12 1 * MON", "@monthly"])("is valid POSIX sh for %s", (expr) => {
    expect(syntaxErrors(scheduler(expr))).toStrictEqual([]);
  });

  it.each(["0 */6 * * *", "*/7 1-3,22 1,15 JAN-MAR,OCT SUN,WED", "0 12 1 * MON", "@weekly"])("holds the parser's expansion of %s", (expr) => {
    const c = cron(expr);
    const script = scheduler(expr);
    const held = (name: string) => new RegExp(`^${name}='([^']*)'$`, "m").exec(script)?.[1].trim().split(" ").map(Number);
    expect([held("MINUTES"), held("HOURS"), held("DOMS"), held("MONTHS"), held("DOWS")]).toStrictEqual([c.minutes, c.hours, c.daysOfMonth, c.months, c.daysOfWeek]);
    expect(script).toContain(`DOM_STAR=${c.domStar ? 1 : 0}\nDOW_STAR=${c.dowStar ? 1 : 0}\n`);
    expect(schedulerLists(c).MINUTES).toBe(` ${c.minutes.join(" ")} `);
  });

  it("serves the textfile read-only on :9107 and never passes a secret", () => {
    const script = scheduler("0 */6 * * *");
    expect(script).toContain("rclone serve http '/metrics' --addr ':9107' --read-only --dir-cache-time 1s --poll-interval 0 &");
    const backup = renderBackupScript(ALL);
    for (const text of [script, backup]) {
      expect(text).not.toContain(CREDS.accessKeyId);
      expect(text).not.toContain(CREDS.secretAccessKey);
      // Nor a way to pass one: no key in the environment or on a command line.
      expect(text).not.toMatch(/RCLONE_S3_|AWS_|access_key|secret_access/i);
    }
    expect(renderRcloneConfig(S3, CREDS)).toContain(CREDS.secretAccessKey);
  });

  // The matcher is run by the real shells on dates chosen to hit each rule; each answer must be matches()'s.
  const DATES = [
    "2025-01-01T00:00", "2025-01-01T06:00", "2025-01-01T06:01", "2025-01-06T12:00", "2025-01-07T12:00", "2025-02-01T12:00",
    "2025-03-02T03:00", "2025-03-03T03:00", "2025-10-15T22:07", "2025-10-15T22:08", "2025-12-31T23:59", "2028-02-29T00:00",
  ];
  it.each(["0 */6 * * *", "0 12 1 * MON", "0 3 * * 1", "*/7 1-3,22 1,15 JAN-MAR,OCT SUN,WED", "@monthly", "* * * * *"])("decides like matches() in every shell: %s", (expr) => {
    const c = cron(expr);
    const probe = `${renderScheduleMatcher(c)}\nfor d in ${DATES.map((d) => {
      const t = new Date(`${d}:00Z`);
      const pad = (n: number) => String(n).padStart(2, "0");
      return `"${pad(t.getUTCMinutes())} ${pad(t.getUTCHours())} ${pad(t.getUTCDate())} ${pad(t.getUTCMonth() + 1)} ${t.getUTCDay()}"`;
    }).join(" ")}; do set -- $d; if due "$@"; then echo 1; else echo 0; fi; done\n`;
    const expected = DATES.map((d) => (matches(c, new Date(`${d}:00Z`)) ? "1" : "0")).join("\n");
    for (const shell of SHELLS) {
      const r = run([...shell, "-eu"], probe);
      expect([shell.join(" "), r.stderr, r.stdout.trim()]).toStrictEqual([shell.join(" "), "", expected]);
    }
  });
});

describe("shQuote", () => {
  it.each(["plain", "it's", "$HOME `id` \"q\" \\ *", "a\nb", ""])("round-trips %j through sh", (s) => {
    expect(run(["sh", "-c", `printf %s ${shQuote(s)}`]).stdout).toBe(s);
  });
});

describe("silences to restore", () => {
  it("keeps the active and pending ones, without their ids", () => {
    const m = [{ name: "alertname", value: "Noisy", isRegex: false, isEqual: true }];
    const listed = [
      { id: "b", status: { state: "active" as const }, matchers: m, startsAt: "2025-01-01T00:00:00Z", endsAt: "2025-01-02T00:00:00Z", createdBy: "ops", comment: "deploy", updatedAt: "x" },
      { id: "a", status: { state: "pending" as const }, matchers: m, startsAt: "2025-01-01T18:00:00Z", endsAt: "2025-01-03T00:00:00Z", createdBy: "ops", comment: "later" },
      { id: "c", status: { state: "expired" as const }, matchers: m, startsAt: "2024-12-01T00:00:00Z", endsAt: "2024-12-02T00:00:00Z", createdBy: "ops", comment: "old" },
      // Listed as active when backed up, over by the time of the restore.
      { id: "d", status: { state: "active" as const }, matchers: m, startsAt: "2025-01-01T00:00:00Z", endsAt: "2025-01-01T11:00:00Z", createdBy: "ops", comment: "short" },
    ];
    expect(restorableSilences(listed, new Date("2025-01-01T12:00:00Z"))).toStrictEqual([
      { matchers: m, startsAt: "2025-01-01T18:00:00Z", endsAt: "2025-01-03T00:00:00Z", createdBy: "ops", comment: "later" },
      { matchers: m, startsAt: "2025-01-01T00:00:00Z", endsAt: "2025-01-02T00:00:00Z", createdBy: "ops", comment: "deploy" },
    ]);
  });
});
