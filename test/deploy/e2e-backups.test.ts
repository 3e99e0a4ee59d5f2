import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { STAND_IN_REGISTRY, standInTag } from "../../scripts/images/recipes";
import { captureProgram } from "../helpers/capture-program";
import { cleanUpStack } from "../helpers/docker-stack";
import { Applied, applyDockerResources, waitHealthy } from "../helpers/docker-apply";
import { describeWithDocker } from "../helpers/docker-engine";
import { RegisteredResource } from "../helpers/mocks";
import { prometheusClient, PrometheusHandle, startPrometheus, waitFor } from "../helpers/processes";
import { freePorts } from "../helpers/tracing";

/**
 * Backups on a real Docker engine (issue 16): the program's backup schedulers, from the stand-in
 * rclone image (the toolchain's rclone 1.76.0 on busybox, the tools of the rclone image), beside
 * the stand-in Prometheus and Alertmanager, every minute. Then a restore of what a scheduler wrote
 * into a fresh Prometheus of the toolchain, which must hold the samples of the live one.
 *
 * As the other deploy tests: not `pulumi up` (see test/deploy/e2e-docker.test.ts); the program
 * runs under the mock engine and test/helpers/docker-apply.ts creates what it registered.
 */

const STACK = "bk";
const PREFIX = `obs-${STACK}`;
const SILENCE_COMMENT = "kept across a restore";

/** A file of a container, read through `docker exec cat`. */
function readFromContainer(container: string, file: string): Buffer {
  const r = spawnSync("docker", ["exec", container, "cat", file], { maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker exec ${container} cat ${file}: ${r.stderr}`);
  return r.stdout;
}

function execIn(container: string, args: string[]): string {
  const r = spawnSync("docker", ["exec", container, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`docker exec ${container} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describeWithDocker(
  "backups on a real Docker engine: the schedulers back up Prometheus and Alertmanager, and a fresh Prometheus restores the samples",
  ["prometheus", "alertmanager", "dockerSocketProxy", "rclone"].map((i) => standInTag(i as never)),
  () => {
    let ports: { prometheus: number; alertmanager: number };
    let resources: RegisteredResource[];
    let applied: Applied | undefined;
    let restored: PrometheusHandle | undefined;
    const timings: Record<string, number> = {};
    let deployedAt = 0;
    let silencedAt = 0;

    beforeAll(async () => {
      await cleanUpStack(PREFIX);
      const [prometheus, alertmanager] = await freePorts(2);
      ports = { prometheus, alertmanager };
      const raw: Record<string, unknown> = {
        platform: "docker",
        images: { registry: STAND_IN_REGISTRY },
        prometheus: { retention: "3d", scrapeInterval: "5s", evaluationInterval: "5s", hostPort: prometheus },
        exporters: { node: { enabled: false }, cadvisor: { enabled: false }, blackbox: { enabled: false } },
        alertmanager: { hostPort: alertmanager },
        logs: { enabled: false },
        tracing: { enabled: false },
        grafana: { enabled: false },
        // Every minute, so that the test sees runs; Grafana is off (AGPL: no image here).
        backups: { enabled: true, schedule: "* * * * *", keep: 2, targets: { grafana: false } },
      };
      const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`observability:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
      config["observability:alertingSecrets"] = JSON.stringify({ "default.webhook[0]": "http://127.0.0.1:9/unused" });
      resources = captureProgram(STACK, config, ["observability:alertingSecrets"]);
      const started = Date.now();
      applied = await applyDockerResources(resources);
      await waitHealthy(applied, 180000);
      deployedAt = Date.now();
      timings.upToHealthy = (deployedAt - started) / 1000;
    }, 300000);

    afterAll(async () => {
      console.log(`docker backups e2e timings (s): ${JSON.stringify(timings)}`);
      await restored?.stop();
      await cleanUpStack(PREFIX);
    }, 180000);

    it("deploys one scheduler per target, as the owner's user, Prometheus' volume mounted, its admin API on", () => {
      const containers = resources.filter((r) => r.type === "docker:index/container:Container").map((r) => r.name);
      expect(containers).toEqual(expect.arrayContaining([`${PREFIX}-backup-prometheus`, `${PREFIX}-backup-alertmanager`]));
      expect(containers).not.toContain(`${PREFIX}-backup-grafana`);
      expect(execIn(`${PREFIX}-backup-prometheus`, ["id", "-u"]).trim()).toBe("65534");
    });

    it("each scheduler runs a backup within its first minute; Prometheus scrapes their textfiles", async () => {
      // A silence, for Alertmanager's backup to carry.
      const silence = await fetch(`http://127.0.0.1:${ports.alertmanager}/api/v2/silences`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ matchers: [{ name: "alertname", value: "Nothing", isRegex: false }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 86400000).toISOString(), createdBy: "e2e", comment: SILENCE_COMMENT }),
      });
      expect(silence.status).toBe(200);
      silencedAt = Date.now();
      const prom = prometheusClient(`http://127.0.0.1:${ports.prometheus}`);
      const rows = await waitFor(async () => {
        const r = await prom.query('backup_last_success_timestamp_seconds{job="backups"}');
        return r.length === 2 ? r : false;
      }, 180000, "both targets' backup_last_success_timestamp_seconds in Prometheus").catch(async (e) => {
        // What Prometheus made of the schedulers' endpoints, to say why.
        const targets = (await prom.targets()).filter((t) => t.labels.job === "backups");
        throw new Error(`${(e as Error).message}; the backups job's targets: ${JSON.stringify(targets.map((t) => [t.scrapeUrl, t.health, t.lastError]))}`);
      });
      timings.firstBackupsScraped = (Date.now() - deployedAt) / 1000;
      expect(rows!.map((r) => r.metric.target).sort()).toEqual(["alertmanager", "prometheus"]);
      const success = await prom.query('backup_last_run_success{job="backups"}');
      expect(success.map((r) => [r.metric.target, r.value[1]]).sort()).toEqual([["alertmanager", "1"], ["prometheus", "1"]]);
    }, 240000);

    it("the archive is on the scheduler's volume and no snapshot is left in Prometheus'", () => {
      const listed = execIn(`${PREFIX}-backup-prometheus`, ["rclone", "--config", "/etc/backup/rclone.conf", "lsf", "backup:/var/tmp/backups/prometheus/"]).trim().split("\n");
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((f) => /^prometheus-\d{8}T\d{6}Z\.tar\.gz$/.test(f))).toBe(true);
      expect(execIn(`${PREFIX}-prometheus`, ["ls", "-A", "/prometheus/snapshots"]).trim()).toBe("");
    });

    it("restores: the newest archive, unpacked into a fresh Prometheus, holds the live one's samples up to the backup", async () => {
      const container = `${PREFIX}-backup-prometheus`;
      const stampOf = (file: string) => {
        const m = /^prometheus-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(file)!;
        return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
      };
      // A backup with half a minute of samples in it: the first run is at the scheduler's start,
      // when Prometheus has scraped once or twice.
      const newest = await waitFor(() => {
        const last = execIn(container, ["rclone", "--config", "/etc/backup/rclone.conf", "lsf", "backup:/var/tmp/backups/prometheus/"]).trim().split("\n").sort().pop()!;
        return stampOf(last) >= deployedAt / 1000 + 30 ? last : false;
      }, 150000, "a backup of Prometheus taken 30 s after the deploy");
      // The backup's moment, less a scrape interval: every sample before it was in the snapshot.
      const at = stampOf(newest) - 5;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-restore-"));
      const archive = path.join(dir, "prometheus.tar.gz");
      fs.writeFileSync(archive, readFromContainer(container, `/var/tmp/backups/prometheus/${newest}`));
      const data = path.join(dir, "data");
      fs.mkdirSync(data);
      const started = Date.now();
      expect(spawnSync("tar", ["-xzf", archive, "-C", data]).status).toBe(0);
      restored = await startPrometheus({ configText: "global: {}\n", dataDir: data });
      timings.restore = (Date.now() - started) / 1000;
      const query = 'count_over_time(up{job="prometheus"}[1h])';
      const live = await prometheusClient(`http://127.0.0.1:${ports.prometheus}`).query(query, at);
      const back = await restored.query(query, at);
      console.log(`docker backups e2e: up{job="prometheus"} samples before ${new Date(at * 1000).toISOString()}: live ${live[0]?.value[1]}, restored ${back[0]?.value[1]}`);
      expect(Number(live[0].value[1])).toBeGreaterThan(3);
      expect(back.map((r) => r.value[1])).toEqual(live.map((r) => r.value[1]));
    }, 240000);

    it("Alertmanager's next backup holds the silence", async () => {
      const container = `${PREFIX}-backup-alertmanager`;
      // The first run may have been before the silence: wait for one stamped after it.
      const after = new Date(silencedAt).toISOString().replace(/[-:]|\.\d+/g, "");
      const newest = await waitFor(async () => {
        const last = execIn(container, ["rclone", "--config", "/etc/backup/rclone.conf", "lsf", "backup:/var/tmp/backups/alertmanager/"]).trim().split("\n").sort().pop()!;
        return last.slice("alertmanager-".length, "alertmanager-".length + 16) > after ? last : false;
      }, 150000, "a backup of Alertmanager taken after the silence");
      const silences = JSON.parse(readFromContainer(container, `/var/tmp/backups/alertmanager/${newest}`).toString("utf8")) as { comment: string; status: { state: string } }[];
      expect(silences.filter((s) => s.comment === SILENCE_COMMENT).map((s) => s.status.state)).toEqual(["active"]);
    }, 180000);
  },
);
