import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  BACKUP_METRICS_FILE_NAME,
  ListedSilence,
  remotePath,
  renderBackupScript,
  renderRcloneConfig,
  renderSchedulerScript,
  restorableSilences,
} from "../components/backups/backup-script";
import { cron } from "../components/backups/cron";
import { bin, describeWithBinaries } from "./helpers/binaries";
import { freePort, PrometheusHandle, sleep, startAlertmanager, startPrometheus, stopAll, tempDir, waitFor } from "./helpers/processes";

/**
 * Backups for real: the rendered scripts run under busybox's sh with only busybox's applets and
 * the toolchain's rclone on PATH (what the rclone image has), against the toolchain's Prometheus
 * and Alertmanager, into a local destination; then each part is restored into a fresh server and
 * found there. Grafana cannot run here (AGPL): its step copies a SQLite file made with sqlite3.
 */

const KEEP = 2;
const RUNS = KEEP + 2;
const STEP_S = 60;
const POINTS = 60;
// Every applet the scripts call; the scripts see nothing else.
const APPLETS = ["sh", "date", "mktemp", "rm", "mv", "cp", "cat", "wget", "timeout", "sed", "grep", "sort", "tail", "head", "tar", "gzip", "wc", "tr", "cmp", "sleep", "kill"];
const figures: Record<string, string> = {};

/** A busybox-only PATH plus rclone: the rclone image's tools. */
function imageLikePath(root: string): string {
  const dir = path.join(root, "image-bin");
  fs.mkdirSync(dir);
  for (const applet of APPLETS) fs.symlinkSync(bin("busybox"), path.join(dir, applet));
  fs.symlinkSync(bin("rclone"), path.join(dir, "rclone"));
  return dir;
}

/** `name{target="t"} value` lines of a textfile. */
function textfile(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^(\w+\{target="\w+"\}) (\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

describeWithBinaries("backups: back up and restore for real", ["prometheus", "promtool", "alertmanager", "rclone", "busybox", "sqlite3"], () => {
  let root: string;
  let pathDir: string;
  let prom: PrometheusHandle;
  let promData: string;
  let am: Awaited<ReturnType<typeof startAlertmanager>>;
  let dest: string;
  let metricsDir: string;
  let rcloneConf: string;
  let grafanaDb: string;
  let scrapePort: number;
  /** The backfilled series: `backup_restore_probe{case="restore"}` = 1.5 × i at t0 + 60 s × i. */
  let t0: number;
  const valueAt = (i: number) => 1.5 * i;
  let silenceId: string;

  const runScript = (script: string, env: Record<string, string> = {}) => {
    const file = path.join(root, `backup-${Date.now()}.sh`);
    fs.writeFileSync(file, script);
    const started = Date.now();
    const r = spawnSync(bin("busybox"), ["sh", file], { encoding: "utf8", timeout: 120000, env: { PATH: pathDir, HOME: root, TMPDIR: path.join(root, "tmp"), ...env } });
    return { status: r.status, out: `${r.stdout}${r.stderr}`, ms: Date.now() - started };
  };
  const backupScript = (overrides: { amUrl?: string } = {}) =>
    renderBackupScript({
      prometheus: { url: prom.url, dataDir: promData },
      grafana: { dbPath: grafanaDb },
      alertmanager: { url: overrides.amUrl ?? am.url },
      remote: `backup:${dest}`,
      keep: KEEP,
      metricsFile: path.join(metricsDir, BACKUP_METRICS_FILE_NAME),
      rcloneConfig: rcloneConf,
    });
  const files = (kind: string) => fs.readdirSync(path.join(dest, kind)).sort();

  beforeAll(async () => {
    root = tempDir("backups");
    pathDir = imageLikePath(root);
    for (const d of ["tmp", "dest", "metrics"]) fs.mkdirSync(path.join(root, d));
    dest = path.join(root, "dest");
    metricsDir = path.join(root, "metrics");
    rcloneConf = path.join(root, "rclone.conf");
    fs.writeFileSync(rcloneConf, renderRcloneConfig({ type: "volume" }), { mode: 0o600 });

    // A known series, backfilled into the data folder before Prometheus starts: 60 points a minute apart, 3 hours ago.
    t0 = Math.floor(Date.now() / 3_600_000) * 3600 - 3 * 3600;
    const om = [`# TYPE backup_restore_probe gauge`, ...Array.from({ length: POINTS }, (_, i) => `backup_restore_probe{case="restore"} ${valueAt(i)} ${t0 + STEP_S * i}`), "# EOF", ""].join("\n");
    promData = path.join(root, "prometheus-data");
    fs.writeFileSync(path.join(root, "probe.om"), om);
    execFileSync(bin("promtool"), ["tsdb", "create-blocks-from", "openmetrics", path.join(root, "probe.om"), promData], { stdio: "pipe", timeout: 60000 });

    scrapePort = await freePort();
    prom = await startPrometheus({
      dataDir: promData,
      extraArgs: ["--web.enable-admin-api"],
      configText: ({ address }) =>
        [
          "global: { scrape_interval: 1s, evaluation_interval: 1s }",
          "scrape_configs:",
          `  - { job_name: self, static_configs: [{ targets: ["${address}"] }] }`,
          // The scheduler's textfile, as the stack's scrape job reads it, and once without the fallback.
          `  - { job_name: backups, fallback_scrape_protocol: PrometheusText0.0.4, static_configs: [{ targets: ["127.0.0.1:${scrapePort}"] }] }`,
          `  - { job_name: backups-no-fallback, static_configs: [{ targets: ["127.0.0.1:${scrapePort}"] }] }`,
          "",
        ].join("\n"),
    });
    // Some of the head block too: the self-scrape.
    await prom.waitFor(async () => (await prom.query('count_over_time(up{job="self"}[1m])'))[0]?.value[1] >= "3" || false, 20000, "three self-scrapes");

    am = await startAlertmanager({ configText: "route: { receiver: none }\nreceivers: [{ name: none }]\n" });
    const post = async (body: unknown) => {
      const res = await fetch(`${am.url}/api/v2/silences`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`POST silence: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { silenceID: string }).silenceID;
    };
    const now = Date.now();
    silenceId = await post({
      matchers: [{ name: "alertname", value: "BackupProbe", isRegex: false, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 2 * 3_600_000).toISOString(),
      createdBy: "backups-restore.test",
      comment: "kept across a restore",
    });
    // One expired: listed by the API, not to be re-created.
    const expired = await post({ matchers: [{ name: "alertname", value: "Gone", isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: "t", comment: "expired" });
    await fetch(`${am.url}/api/v2/silence/${expired}`, { method: "DELETE" });

    grafanaDb = path.join(root, "grafana.db");
    execFileSync("sqlite3", [grafanaDb, "CREATE TABLE dashboard (uid TEXT, title TEXT); INSERT INTO dashboard VALUES ('backup-probe', 'Kept across a restore');"]);
  }, 120000);

  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`backup figures:\n${Object.entries(figures).map(([k, v]) => `  ${k}: ${v}`).join("\n")}`);
    await stopAll();
  });

  it(`runs ${RUNS} times, keeping the newest ${KEEP} of each kind and no snapshot in Prometheus' volume`, async () => {
    const runs: { status: number | null; out: string; ms: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      // File names carry the second: wait for the next one.
      await sleep(1000 - (Date.now() % 1000) + 20);
      runs.push(runScript(backupScript()));
      const last = runs[runs.length - 1];
      expect([i, last.status, last.out]).toStrictEqual([i, 0, expect.stringContaining("run succeeded (prometheus grafana alertmanager)")]);
    }
    figures["backup run (3 targets, local destination)"] = runs.map((r) => `${r.ms} ms`).join(", ");
    const log = runs[RUNS - 1].out;
    for (const step of ["prometheus: snapshot via", "prometheus: archived snapshot", "prometheus: deleted snapshot", "prometheus: uploaded prometheus-", "grafana: uploaded grafana-", "alertmanager: uploaded alertmanager-", "metrics: wrote"]) {
      expect(log).toContain(step);
    }
    expect(log).toMatch(/prometheus: deleted prometheus-\d{8}T\d{6}Z\.tar\.gz \(keeping the newest 2\)/);
    for (const [kind, pattern] of [["prometheus", /^prometheus-\d{8}T\d{6}Z\.tar\.gz$/], ["grafana", /^grafana-\d{8}T\d{6}Z\.db\.gz$/], ["alertmanager", /^alertmanager-\d{8}T\d{6}Z\.json$/]] as const) {
      expect(files(kind)).toHaveLength(KEEP);
      for (const f of files(kind)) expect(f).toMatch(pattern);
    }
    // The newest two runs' stamps are what is left.
    const stamps = runs.map((r) => /uploaded prometheus-(\d{8}T\d{6}Z)/.exec(r.out)![1]);
    expect(files("prometheus")).toStrictEqual(stamps.slice(-KEEP).map((s) => `prometheus-${s}.tar.gz`));
    expect(fs.readdirSync(path.join(promData, "snapshots"))).toStrictEqual([]);
    expect(fs.readdirSync(path.join(root, "tmp"))).toStrictEqual([]);
    figures["Prometheus archive"] = `${fs.statSync(path.join(dest, "prometheus", files("prometheus")[KEEP - 1])).size} bytes`;
  }, 180000);

  it("writes the textfile: a valid exposition with the last success, run and size of each target", () => {
    const file = path.join(metricsDir, BACKUP_METRICS_FILE_NAME);
    const lint = spawnSync(bin("promtool"), ["check", "metrics"], { input: fs.readFileSync(file), encoding: "utf8" });
    expect([lint.status, `${lint.stdout}${lint.stderr}`]).toStrictEqual([0, ""]);
    const m = textfile(file);
    const now = Date.now() / 1000;
    for (const t of ["prometheus", "grafana", "alertmanager"]) {
      expect(m[`backup_last_run_success{target="${t}"}`]).toBe(1);
      expect(now - m[`backup_last_success_timestamp_seconds{target="${t}"}`]).toBeLessThan(60);
      expect(m[`backup_last_run_timestamp_seconds{target="${t}"}`]).toBe(m[`backup_last_success_timestamp_seconds{target="${t}"}`]);
      expect(m[`backup_last_size_bytes{target="${t}"}`]).toBe(fs.statSync(path.join(dest, t, files(t)[KEEP - 1])).size);
    }
    expect(fs.readdirSync(metricsDir)).toStrictEqual([BACKUP_METRICS_FILE_NAME]);
  });

  it("fails a run whose Alertmanager is unreachable, still backs up the rest, and keeps the last success of the failed target", async () => {
    const before = textfile(path.join(metricsDir, BACKUP_METRICS_FILE_NAME));
    await sleep(1000 - (Date.now() % 1000) + 20);
    const r = runScript(backupScript({ amUrl: `http://127.0.0.1:${await freePort()}` }));
    expect([r.status, r.out]).toStrictEqual([1, expect.stringContaining("run FAILED for: alertmanager")]);
    const after = textfile(path.join(metricsDir, BACKUP_METRICS_FILE_NAME));
    expect(after['backup_last_run_success{target="alertmanager"}']).toBe(0);
    expect(after['backup_last_success_timestamp_seconds{target="alertmanager"}']).toBe(before['backup_last_success_timestamp_seconds{target="alertmanager"}']);
    expect(after['backup_last_size_bytes{target="alertmanager"}']).toBe(before['backup_last_size_bytes{target="alertmanager"}']);
    expect(after['backup_last_run_success{target="prometheus"}']).toBe(1);
    expect(after['backup_last_success_timestamp_seconds{target="prometheus"}']).toBeGreaterThan(before['backup_last_success_timestamp_seconds{target="prometheus"}']);
    expect(files("prometheus")).toHaveLength(KEEP);
  }, 60000);

  it("the scheduler runs the backup at a due minute and serves the textfile Prometheus scrapes", async () => {
    const scriptFile = path.join(root, "backup.sh");
    fs.writeFileSync(scriptFile, backupScript());
    const schedulerFile = path.join(root, "scheduler.sh");
    fs.writeFileSync(schedulerFile, renderSchedulerScript({ schedule: cron("* * * * *"), backupScript: scriptFile, metricsDir, metricsPort: scrapePort }));
    const lines: string[] = [];
    const child: ChildProcess = spawn(bin("busybox"), ["sh", schedulerFile], { env: { PATH: pathDir, HOME: root, TMPDIR: path.join(root, "tmp") }, stdio: ["ignore", "pipe", "pipe"] });
    for (const s of [child.stdout!, child.stderr!]) s.on("data", (d: Buffer) => lines.push(...d.toString().split("\n").filter((l) => l)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      // The content type rclone sends for the extension-less textfile: sniffed from its text.
      const res = await waitFor(() => fetch(`http://127.0.0.1:${scrapePort}/${BACKUP_METRICS_FILE_NAME}`), 10000, "rclone serve http");
      figures["rclone serve http Content-Type"] = String(res.headers.get("content-type"));
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      await waitFor(() => lines.some((l) => l.includes("scheduler run succeeded")) || false, 75000, `a scheduled run; output so far:\n${lines.join("\n")}`);
      // Runs never overlap: each start is followed by its end before the next start.
      const events = lines.filter((l) => / scheduler run (starting|succeeded|failed)/.test(l)).map((l) => (l.includes("starting") ? "start" : "end"));
      expect(events.join(" ")).toMatch(/^start end( start end)*( start)?$/);
      for (const job of ["backups", "backups-no-fallback"]) {
        const samples = await prom.waitFor(async () => {
          const r = await prom.query(`backup_last_success_timestamp_seconds{job="${job}",target="prometheus"}`);
          return r.length === 1 ? r : false;
        }, 15000, `the textfile scraped by job ${job}`);
        expect(Number(samples[0].value[1])).toBeGreaterThan(Date.now() / 1000 - 120);
      }
      const stopAt = Date.now();
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(() => resolve("still running after 5 s"), 5000)))]);
      clearTimeout(timer);
      expect(code).toBe(0);
      figures["scheduler stop on SIGTERM"] = `${Date.now() - stopAt} ms`;
    } finally {
      child.kill("SIGKILL");
    }
  }, 120000);

  it("restores Prometheus: the newest archive in an empty data folder gives back the exact samples", async () => {
    await prom.stop();
    const newest = files("prometheus")[KEEP - 1];
    const started = Date.now();
    const restored = path.join(root, "restored-prometheus-data");
    fs.mkdirSync(restored);
    // As an operator would: fetch with rclone, unpack with tar.
    execFileSync(bin("rclone"), ["copyto", `backup:${dest}/prometheus/${newest}`, path.join(root, newest), "--config", rcloneConf]);
    execFileSync(bin("busybox"), ["tar", "-xzf", path.join(root, newest), "-C", restored]);
    const fresh = await startPrometheus({ dataDir: restored, configText: "global: { scrape_interval: 1m }\nscrape_configs: []\n" });
    for (const i of [0, 1, 17, POINTS - 1]) {
      expect(await fresh.query('backup_restore_probe{case="restore"}', t0 + STEP_S * i)).toStrictEqual([
        { metric: { __name__: "backup_restore_probe", case: "restore" }, value: [t0 + STEP_S * i, String(valueAt(i))] },
      ]);
    }
    expect(await fresh.query('count_over_time(backup_restore_probe{case="restore"}[2h])', t0 + STEP_S * (POINTS - 1))).toStrictEqual([{ metric: { case: "restore" }, value: [t0 + STEP_S * (POINTS - 1), String(POINTS)] }]);
    figures["Prometheus restore (copy, untar, start, first query)"] = `${Date.now() - started} ms`;
    // The head came along too: the self-scrapes up to the backup.
    const head = await fresh.query('count_over_time(up{job="self"}[1h])');
    expect(Number(head[0]?.value[1] ?? 0)).toBeGreaterThanOrEqual(3);
  }, 60000);

  it("restores Alertmanager's silences into a fresh Alertmanager: the active one, not the expired one", async () => {
    const newest = files("alertmanager")[KEEP - 1];
    const backup = JSON.parse(fs.readFileSync(path.join(dest, "alertmanager", newest), "utf8")) as ListedSilence[];
    expect(backup.map((s) => s.status.state).sort()).toStrictEqual(["active", "expired"]);
    const fresh = await startAlertmanager({ configText: "route: { receiver: none }\nreceivers: [{ name: none }]\n" });
    for (const silence of restorableSilences(backup, new Date())) {
      const res = await fetch(`${fresh.url}/api/v2/silences`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(silence) });
      expect([res.status, await res.text()]).toStrictEqual([200, expect.stringContaining("silenceID")]);
    }
    const listed = await fresh.api<ListedSilence[]>("/api/v2/silences");
    const original = backup.find((s) => s.id === silenceId)!;
    expect(listed.map((s) => ({ state: s.status.state, matchers: s.matchers, endsAt: s.endsAt, createdBy: s.createdBy, comment: s.comment }))).toStrictEqual([
      { state: "active", matchers: original.matchers, endsAt: original.endsAt, createdBy: "backups-restore.test", comment: "kept across a restore" },
    ]);
  }, 60000);

  it("backs up to an S3 bucket for real (rclone serve s3, with keys): the rendered S3 config, keep N, and wrong keys refused", async () => {
    // An S3 endpoint of rclone's own, over a folder: the bucket is a folder of it, each object a file.
    const s3Root = path.join(root, "s3");
    fs.mkdirSync(path.join(s3Root, "acme-backups"), { recursive: true });
    const port = await freePort();
    const server = spawn(bin("rclone"), ["serve", "s3", s3Root, "--auth-key", "AKIDBACKUPTEST,s3cret-backup-key", "--addr", `127.0.0.1:${port}`], { stdio: "ignore" });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false)), 20000, "rclone serve s3 answering");
      const destination = { type: "s3", bucket: "acme-backups", endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", prefix: "prod/observability" } as const;
      const conf = (secretAccessKey: string) => {
        const file = path.join(root, `rclone-s3-${secretAccessKey}.conf`);
        fs.writeFileSync(file, renderRcloneConfig(destination, { accessKeyId: "AKIDBACKUPTEST", secretAccessKey }), { mode: 0o600 });
        return file;
      };
      const script = (rcloneConfig: string) =>
        renderBackupScript({ alertmanager: { url: am.url }, remote: remotePath(destination), keep: 2, metricsFile: path.join(root, "s3-metrics", BACKUP_METRICS_FILE_NAME), rcloneConfig });
      const good = script(conf("s3cret-backup-key"));
      for (let i = 0; i < 3; i++) {
        const r = runScript(good);
        expect([r.status, r.out]).toEqual([0, expect.stringContaining("run succeeded")]);
        // The stamps have a second's resolution.
        await sleep(1100);
      }
      const stored = path.join(s3Root, "acme-backups", "prod", "observability", "alertmanager");
      const objects = fs.readdirSync(stored).sort();
      expect(objects).toHaveLength(2);
      const silences = JSON.parse(fs.readFileSync(path.join(stored, objects[1]), "utf8")) as ListedSilence[];
      expect(silences.map((x) => x.id)).toContain(silenceId);
      const refused = runScript(script(conf("wrong-secret-key")));
      expect(refused.status).not.toBe(0);
      expect(fs.readdirSync(stored).sort()).toEqual(objects);
    } finally {
      server.kill();
    }
  }, 120000);

  it("restores Grafana's database: the copied SQLite file opens and holds the row", () => {
    const newest = files("grafana")[KEEP - 1];
    const db = path.join(root, "restored-grafana.db");
    fs.writeFileSync(db, execFileSync(bin("busybox"), ["gzip", "-dc", path.join(dest, "grafana", newest)]));
    expect(execFileSync("sqlite3", [db, "PRAGMA integrity_check; SELECT uid || '|' || title FROM dashboard;"], { encoding: "utf8" })).toBe("ok\nbackup-probe|Kept across a restore\n");
  });
});
