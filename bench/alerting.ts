/**
 * `npm run bench:alerting [-- --fast] [-- --trials N] [-- --healthy-minutes N] [-- --watchdog-only]
 *   [-- --watchdog-period 1m] [-- --watchdog-beats N] [-- --watchdog-survivor-beats N] [-- --watchdog-kill-after S]`
 *
 * How long the real notification path takes with the stack's timers, and whether it stays quiet
 * when nothing is wrong. Real Prometheus + Alertmanager + an in-process webhook receiver, all on
 * 127.0.0.1, fed the RENDERED configs (renderPrometheusConfig, renderRuleFiles,
 * renderAlertmanagerConfig). Prints figures; it asserts nothing in jest and never fails a build.
 *
 *  1. Trials: each trial stops a scraped node-exporter, the only target of its job (a service
 *     down), and measures the seconds from the moment it is down to the ServiceDown page arriving
 *     at the on-call receiver, next to the bound the timers allow; TargetDown of the same job must
 *     stay inhibited (no notification). Each trial has its own target and job, so each is a NEW
 *     alert group (grouping is by alertname and job): a target flapping again while its group still exists in Alertmanager
 *     (until the resolve is flushed and the group is garbage-collected, up to group_interval +
 *     30 s) is notified at the group's next group_interval tick instead, which is a different path.
 *  2. Healthy run: every target up for --healthy-minutes, with a Prometheus restart (stop, start
 *     on the same data dir) placed so that a false alert it caused would still be notified within
 *     the run; prints every notification other than the Watchdog (routed to its own receiver).
 *  3. Watchdog heartbeat (`--watchdog-only` runs just this): Prometheus evaluating the stack's rules
 *     and two clustered Alertmanagers with the production peer timeout (15s), the Watchdog routed
 *     to the dead-man's switch with period --watchdog-period (default: Pulumi.prod.yaml's, else the
 *     schema's 1m; --fast 40s). Records every heartbeat's arrival for --watchdog-beats intervals,
 *     kills the sending replica --watchdog-kill-after seconds after a heartbeat (default 2; 0.1
 *     kills it before it has gossiped that heartbeat), records --watchdog-survivor-beats more, and
 *     prints the intervals with min/p50/max beside the period and the bounds of `watchdogTimers`.
 *
 * Default timers are production's: Pulumi.prod.yaml's scrape and evaluation intervals, its critical
 * route's group_wait (10s), the alerting schema's defaults for what it leaves unset (group_interval
 * 5m), ServiceDown's `for` as rendered (15s). A full run takes about 6 minutes per trial (most of it
 * the resolve, flushed at group_interval) plus the healthy run; --fast (1s intervals, `for` 3s,
 * group_wait 1s) takes about 2 minutes.
 */
import { parseAlerting, watchdogTimers } from "../components/alerting/config";
import { renderAlertmanagerConfig } from "../components/alerting/alertmanager-config";
import { durationSeconds, renderPrometheusConfig } from "../components/metrics/prometheus-config";
import { defaultThresholds, isAlert, renderRuleFiles, ruleGroups } from "../components/rules/rule-files";
import { alertingDefinition, heartbeats, intervalsSeconds, isHeartbeat, RECEIVERS, startWatchdogCluster, webhookSecrets, withAlertHolds } from "../test/helpers/alerting-stack";
import {
  describeNotification,
  ExporterHandle,
  Notification,
  startAlertmanager,
  startNodeExporter,
  startPrometheus,
  startWebhookReceiver,
  stopAll,
  waitFor,
} from "../test/helpers/processes";
import { stackFileConfig } from "../test/helpers/stack-files";

interface Timers {
  scrapeInterval: string;
  evaluationInterval: string;
  serviceDownFor: string;
  /** The root route's: what TargetDown (a warning) would wait. */
  groupWait: string;
  /** The critical route's: what the ServiceDown page waits. */
  criticalGroupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

/** Processing and delivery on loopback (HTTP, goroutine scheduling) on top of the timers. */
const SLACK_S = 0.5;

function prodTimers(): Timers {
  const stack = stackFileConfig("prod");
  const prometheus = JSON.parse(stack["observability:prometheus"] ?? "{}") as { scrapeInterval?: string; evaluationInterval?: string };
  // The Prometheus config schema's defaults are 15s too; Pulumi.prod.yaml states them.
  const alertingRaw = stack["observability:alerting"];
  const alerting = parseAlerting(alertingRaw === undefined ? {} : JSON.parse(alertingRaw));
  const serviceDown = ruleGroups(defaultThresholds)
    .flatMap((g) => g.rules)
    .find((r) => isAlert(r) && r.alert === "ServiceDown");
  if (!serviceDown || !isAlert(serviceDown) || !serviceDown.for) throw new Error("the rendered rules have no ServiceDown with a `for`");
  // The first top-level route a critical alert takes (Alertmanager tries them in order).
  const critical = alerting.route.routes.find((r) => (r.matchers ?? []).some((m) => /^severity=~?"?critical"?$/.test(m.replace(/\s/g, ""))));
  return {
    scrapeInterval: prometheus.scrapeInterval ?? "15s",
    evaluationInterval: prometheus.evaluationInterval ?? "15s",
    serviceDownFor: serviceDown.for,
    groupWait: alerting.route.groupWait,
    criticalGroupWait: critical?.groupWait ?? alerting.route.groupWait,
    groupInterval: alerting.route.groupInterval,
    repeatInterval: alerting.route.repeatInterval,
  };
}

const FAST_TIMERS: Timers = { scrapeInterval: "1s", evaluationInterval: "1s", serviceDownFor: "3s", groupWait: "1s", criticalGroupWait: "1s", groupInterval: "2s", repeatInterval: "1h" };

interface Args {
  fast: boolean;
  trials: number;
  healthyMinutes: number;
  watchdogOnly: boolean;
  watchdogPeriod: string;
  watchdogBeats: number;
  watchdogSurvivorBeats: number;
  watchdogKillAfter: number;
}

function parseArgs(argv: string[]): Args {
  const fast = argv.includes("--fast");
  const VALUE_FLAGS = ["--trials", "--healthy-minutes", "--watchdog-period", "--watchdog-beats", "--watchdog-survivor-beats", "--watchdog-kill-after"];
  const raw = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : argv[i + 1];
  };
  const value = (flag: string): number | undefined => {
    const text = raw(flag);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!(Number.isFinite(n) && n >= 0)) throw new Error(`${flag} takes a number, got ${text}`);
    return n;
  };
  const known = new Set(["--fast", "--watchdog-only", ...VALUE_FLAGS]);
  argv.forEach((a, i) => {
    if (a.startsWith("--") && !known.has(a)) throw new Error(`unknown flag ${a} (flags: ${[...known].join(", ")})`);
    if (!a.startsWith("--") && !VALUE_FLAGS.includes(argv[i - 1])) throw new Error(`unexpected argument ${a}`);
  });
  const trials = Math.round(value("--trials") ?? 5);
  if (trials < 1) throw new Error("--trials must be at least 1");
  const prodPeriod = (): string | undefined => {
    const text = stackFileConfig("prod")["observability:alerting"];
    return text === undefined ? undefined : parseAlerting(JSON.parse(text)).watchdog.repeatInterval;
  };
  const watchdogPeriod = raw("--watchdog-period") ?? (fast ? "40s" : prodPeriod() ?? "1m");
  watchdogTimers(watchdogPeriod); // throws, naming the problem, for a period the schema rejects
  return {
    fast,
    trials,
    healthyMinutes: value("--healthy-minutes") ?? (fast ? 1 : 10),
    watchdogOnly: argv.includes("--watchdog-only"),
    watchdogPeriod,
    watchdogBeats: Math.max(1, Math.round(value("--watchdog-beats") ?? (fast ? 3 : 5))),
    watchdogSurvivorBeats: Math.max(1, Math.round(value("--watchdog-survivor-beats") ?? (fast ? 2 : 3))),
    watchdogKillAfter: value("--watchdog-kill-after") ?? 2,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const secs = (ms: number) => (ms / 1000).toFixed(2);

/** Nearest-rank percentile. */
function percentile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function log(line = ""): void {
  // eslint-disable-next-line no-console
  console.log(line);
}

interface Trial {
  job: string;
  downAt: number;
  firingMs?: number;
  upAt?: number;
  resolvedMs?: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.watchdogOnly) {
    await watchdogBench(args);
    return;
  }
  const timers = args.fast ? FAST_TIMERS : prodTimers();
  const [si, ei, hold, gw, gi] = [timers.scrapeInterval, timers.evaluationInterval, timers.serviceDownFor, timers.criticalGroupWait, timers.groupInterval].map(durationSeconds);
  // Alerts fire at an evaluation: a `for` that is not a multiple of the interval rounds up.
  const holdOnGrid = Math.ceil(hold / ei) * ei;
  const fireBound = si + ei + holdOnGrid + gw;
  const resolveBound = si + ei + gi;

  log(`bench:alerting (${args.fast ? "--fast: short timers" : "production timers"}), ${args.trials} trial(s), healthy run ${args.healthyMinutes} min`);
  log(`timers: scrape_interval ${timers.scrapeInterval}, evaluation_interval ${timers.evaluationInterval}, ServiceDown for ${timers.serviceDownFor}, critical route group_wait ${timers.criticalGroupWait} (root ${timers.groupWait}), group_interval ${timers.groupInterval}, repeat_interval ${timers.repeatInterval}`);
  log(`bound down->notified = scrape_interval ${si}s (next scrape fails) + evaluation_interval ${ei}s (next evaluation sees up == 0: pending)`);
  log(`  + for ${holdOnGrid}s (fires at the evaluation where it has been pending that long) + group_wait ${gw}s = ${fireBound}s, +${SLACK_S}s delivery slack`);
  log(`  + 0 for resend: Prometheus sends a newly firing alert at the evaluation that fires it; --rules.alert.resend-delay (1m)`);
  log(`    only paces re-sends of alerts still firing. (Clustered Alertmanagers add position x peer_timeout only when the first peer is down; one here.)`);
  log(`bound up->resolved = scrape_interval ${si}s + evaluation_interval ${ei}s + group_interval ${gi}s (the group's next flush) = ${resolveBound}s`);

  const started = Date.now();
  const receiver = await startWebhookReceiver();
  const exporters: ExporterHandle[] = await Promise.all(Array.from({ length: args.trials }, () => startNodeExporter()));
  const jobs = exporters.map((_, i) => `bench-target-${i + 1}`);
  const definition = alertingDefinition({ groupWait: timers.groupWait, criticalGroupWait: timers.criticalGroupWait, groupInterval: timers.groupInterval, repeatInterval: timers.repeatInterval });
  const alertmanager = await startAlertmanager({ configText: renderAlertmanagerConfig(parseAlerting(definition), webhookSecrets(definition, receiver.url)) });
  const rendered = renderRuleFiles(defaultThresholds);
  const prometheusStarted = Date.now();
  const prometheus = await startPrometheus({
    configText: renderPrometheusConfig({
      scrapeInterval: timers.scrapeInterval,
      evaluationInterval: timers.evaluationInterval,
      externalLabels: { environment: "bench" },
      ruleFiles: ["rules/*.yml"],
      alertmanagers: [{ kind: "static", targets: [alertmanager.address] }],
      jobs: exporters.map((e, i) => ({ kind: "targets" as const, name: jobs[i], endpoint: { kind: "static" as const, targets: [e.address] } })),
    }),
    // Production's rules as rendered; --fast shortens ServiceDown's `for` only.
    ruleFiles: args.fast ? withAlertHolds(rendered, { ServiceDown: timers.serviceDownFor }) : rendered,
  });
  await waitFor(
    async () => {
      const { activeAlertmanagers } = await prometheus.api<{ activeAlertmanagers: unknown[] }>("/api/v1/alertmanagers");
      const up = await prometheus.query("up");
      return activeAlertmanagers.length === 1 && up.length === jobs.length && up.every((s) => s.value[1] === "1");
    },
    60000 + 3 * si * 1000,
    "Prometheus scraping every target and sending to the Alertmanager",
  );
  log(`stack up in ${secs(Date.now() - started)} s: Prometheus ${prometheus.address}, Alertmanager ${alertmanager.address}, ${jobs.length} node-exporter target(s)`);

  // The page: ServiceDown at the on-call receiver (it also reaches chat, after the root's group_wait).
  const ofJob = (job: string, status: "firing" | "resolved") => (n: Notification) =>
    n.payload.groupLabels?.alertname === "ServiceDown" && n.payload.groupLabels?.job === job && n.payload.status === status && n.payload.receiver === RECEIVERS.oncall;
  const targetDownOf = (job: string) => (n: Notification) => n.payload.groupLabels?.alertname === "TargetDown" && n.payload.groupLabels?.job === job;

  // --- 1. Trials ------------------------------------------------------------------------------
  const trials: Trial[] = [];
  for (const [i, exporter] of exporters.entries()) {
    // A random phase against the scrape and evaluation grid, so the trials sample it.
    await sleep(Math.random() * si * 1000);
    await exporter.stop();
    const trial: Trial = { job: jobs[i], downAt: Date.now() };
    trials.push(trial);
    const [firing] = await receiver.waitForNotifications(1, ofJob(trial.job, "firing"), (fireBound + Math.max(60, fireBound)) * 1000, `ServiceDown page for ${trial.job}`);
    trial.firingMs = firing.receivedAt - trial.downAt;
    await exporter.process.restart();
    trial.upAt = Date.now();
    log(`trial ${i + 1} (${trial.job}): down -> notified in ${secs(trial.firingMs)} s (bound ${fireBound} s); target up again`);
  }
  // Resolves are flushed at each group's next group_interval tick; they must all be in before the healthy run.
  for (const trial of trials) {
    const [resolved] = await receiver.waitForNotifications(1, ofJob(trial.job, "resolved"), (resolveBound + 60) * 1000, `resolved ServiceDown for ${trial.job}`);
    trial.resolvedMs = resolved.receivedAt - trial.upAt!;
  }
  log("\ntrial  target           down->notified   bound    within   up->resolved   bound    within");
  trials.forEach((t, i) => {
    const fireOk = t.firingMs! <= (fireBound + SLACK_S) * 1000;
    const resolveOk = t.resolvedMs! <= (resolveBound + SLACK_S) * 1000;
    log(
      `${String(i + 1).padEnd(7)}${t.job.padEnd(17)}${`${secs(t.firingMs!)} s`.padStart(14)}${`${fireBound} s`.padStart(8)}${(fireOk ? "yes" : "NO").padStart(9)}${`${secs(t.resolvedMs!)} s`.padStart(15)}${`${resolveBound} s`.padStart(8)}${(resolveOk ? "yes" : "NO").padStart(9)}`,
    );
  });
  const summary = (label: string, values: number[], bound: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    const within = values.filter((v) => v <= (bound + SLACK_S) * 1000).length;
    log(`${label.padEnd(16)} p50 ${secs(percentile(sorted, 0.5))} s   p95 ${secs(percentile(sorted, 0.95))} s   max ${secs(sorted[sorted.length - 1])} s   bound ${bound} s   within bound: ${within}/${values.length}${within === values.length ? " (all)" : " (NOT all)"}`);
  };
  log("");
  summary("down->notified", trials.map((t) => t.firingMs!), fireBound);
  summary("up->resolved", trials.map((t) => t.resolvedMs!), resolveBound);
  if (!args.fast) {
    const sorted = trials.map((t) => t.firingMs!).sort((a, b) => a - b);
    const p95 = percentile(sorted, 0.95) / 1000;
    log(`goal (issue 3): a down service paged within 60 s at p95 with the prod timers: p95 ${p95.toFixed(2)} s over ${sorted.length} trial(s): ${p95 <= 60 ? "MET" : "NOT MET"}`);
  }
  const duplicates = jobs.filter((job) => receiver.matching(ofJob(job, "firing")).length !== 1 || receiver.matching(ofJob(job, "resolved")).length !== 1);
  log(`pages per trial (on-call): ${duplicates.length === 0 ? "exactly one firing and one resolved each" : `NOT one of each for ${duplicates.join(", ")}`}`);
  const leaked = jobs.filter((job) => receiver.matching(targetDownOf(job)).length > 0);
  log(`TargetDown of the trials' jobs (inhibited by ServiceDown): ${leaked.length === 0 ? "no notification" : `NOTIFIED for ${leaked.join(", ")}`}`);

  // --- 2. Healthy run -------------------------------------------------------------------------
  const phaseMs = args.healthyMinutes * 60000;
  // Early enough that a false alert the restart caused would be notified within the run.
  const restartAfterMs = Math.max(5000, Math.min(phaseMs / 3, phaseMs - (fireBound + 30) * 1000));
  const alreadyActive = new Set((await prometheus.alerts()).filter((a) => a.labels.alertname !== "Watchdog").map((a) => `${a.labels.alertname} (${a.state})`));
  log(`\nhealthy run: ${args.healthyMinutes} min, every target up; Prometheus restart at +${secs(restartAfterMs)} s`);
  if (phaseMs - restartAfterMs < fireBound * 1000) log(`  NOTE: the run is shorter than restart + ${fireBound} s, so a page caused by the restart could arrive after it; use a longer --healthy-minutes`);
  log(`  alerts pending/firing in Prometheus as it starts (conditions of this machine, not of the run): ${[...alreadyActive].join(", ") || "none"}`);
  const phaseStart = Date.now();
  await sleep(restartAfterMs);
  const restartBegan = Date.now();
  await prometheus.process.restart();
  log(`  Prometheus restarted (stop + start on the same data dir) in ${secs(Date.now() - restartBegan)} s`);
  await sleep(Math.max(0, phaseStart + phaseMs - Date.now()));
  const during = receiver.notifications.filter((n) => n.receivedAt >= phaseStart);
  const watchdog = during.filter((n) => n.payload.receiver === RECEIVERS.deadmansSwitch && n.payload.alerts.every((a) => a.labels.alertname === "Watchdog"));
  // Alerts already pending or firing before the run began are true conditions of this machine (the
  // node-exporters report this host: e.g. an unsynchronised kernel clock fires HostClockSkew on
  // every target once its 10m hold has passed); they are listed apart, not counted as false alerts.
  const machineAlertNames = new Set([...alreadyActive].map((a) => a.replace(/ \(.*\)$/, "")));
  const machine = during.filter((n) => !watchdog.includes(n) && n.payload.alerts.every((a) => machineAlertNames.has(a.labels.alertname)));
  const others = during.filter((n) => !watchdog.includes(n) && !machine.includes(n));
  log(`  notifications during the healthy run: ${during.length} (Watchdog to ${RECEIVERS.deadmansSwitch}: ${watchdog.length}; this machine's conditions, active before the run: ${machine.length}; anything else: ${others.length})`);
  for (const n of machine) log(`    machine: ${describeNotification(n)}`);
  for (const n of others) log(`    ${describeNotification(n)}`);
  const activeAtEnd = (await prometheus.alerts()).filter((a) => a.labels.alertname !== "Watchdog").map((a) => `${a.labels.alertname} (${a.state})`);
  log(`  alerts pending/firing in Prometheus at the end: ${[...new Set(activeAtEnd)].join(", ") || "none"}`);
  log(`  no notification other than the routed-away Watchdog and this machine's own conditions: ${others.length === 0 ? "YES" : "NO"}`);
  const dogs = receiver.matching((n) => n.payload.receiver === RECEIVERS.deadmansSwitch);
  const times = dogs.map((n) => `+${secs(n.receivedAt - prometheusStarted)} s`).join(", ");
  log(`  Watchdog notifications over the whole bench (times after the first Prometheus start; restart at +${secs(restartBegan - prometheusStarted)} s): ${times || "none"}`);
  log("    Prometheus drops what it sends before it has discovered its Alertmanagers (~5 s after each start) and resends a");
  log("    still-firing alert only after --rules.alert.resend-delay (1m): Watchdog reaches Alertmanager about a minute after each start.");
  if (receiver.rejected.length > 0) log(`  malformed requests to the receiver: ${receiver.rejected.length}`);
  await stopAll();
  await watchdogBench(args);
  log(`\ntotal ${secs(Date.now() - started)} s`);
}

/** `min/p50/max` of seconds, 3 decimals. */
function spread(values: number[]): string {
  if (values.length === 0) return "none";
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0].toFixed(3)} s   p50 ${percentile(sorted, 0.5).toFixed(3)} s   max ${sorted[sorted.length - 1].toFixed(3)} s`;
}

/** 3. The Watchdog heartbeat at the dead-man's switch, from a healthy cluster and from the survivor of a kill. */
async function watchdogBench(args: Args): Promise<void> {
  const t = watchdogTimers(args.watchdogPeriod);
  const period = t.periodSeconds;
  log(`\nWatchdog heartbeat: period ${args.watchdogPeriod} -> route group_wait ${t.groupWait}, group_interval ${t.groupInterval}, repeat_interval ${t.repeatInterval}`);
  log(`  expected: every ${period} s; when the sending replica changes, intervals up to ${t.handoverMaxSeconds} s (handover in ${t.handoverMinSeconds}..${t.repeatIntervalSeconds + t.groupIntervalSeconds} s normally); switch grace >= ${t.graceSeconds} s`);
  const started = Date.now();
  const { receiver, ams, prometheus } = await startWatchdogCluster(args.watchdogPeriod);
  const name = (url: string) => (ams[0].url === url.replace(/\/$/, "") ? "am1" : "am2");
  log(`  2 Alertmanagers (${ams.map((a) => a.address).join(", ")}, peer timeout 15s) + Prometheus ${prometheus.address} up in ${secs(Date.now() - started)} s`);

  const beatTimeout = (n: number) => (n * period + t.handoverMaxSeconds + 60) * 1000;
  await receiver.waitForNotifications(args.watchdogBeats + 1, isHeartbeat, beatTimeout(args.watchdogBeats + 1), `${args.watchdogBeats + 1} heartbeats`);
  const healthy = heartbeats(receiver);
  const healthyIntervals = intervalsSeconds(healthy);
  log(`  healthy cluster, ${healthyIntervals.length} intervals: ${healthyIntervals.map((v) => v.toFixed(3)).join(" ")} s (senders: ${[...new Set(healthy.map((n) => name(n.payload.externalURL)))].join(", ")})`);
  log(`    ${spread(healthyIntervals)}   configured ${period} s   within 1 s of it: ${healthyIntervals.filter((v) => Math.abs(v - period) <= 1).length}/${healthyIntervals.length}`);

  const last = healthy[healthy.length - 1];
  const sender = ams.find((am) => am.url === last.payload.externalURL.replace(/\/$/, ""))!;
  await sleep(Math.max(0, args.watchdogKillAfter * 1000 - (Date.now() - last.receivedAt)));
  await sender.process.kill();
  log(`  killed the sender (${name(sender.url)}, SIGKILL) ${secs(Date.now() - last.receivedAt)} s after its heartbeat`);
  await receiver.waitForNotifications(healthy.length + args.watchdogSurvivorBeats + 1, isHeartbeat, beatTimeout(args.watchdogSurvivorBeats + 2), `${args.watchdogSurvivorBeats + 1} heartbeats from the survivor`);
  const after = heartbeats(receiver).slice(healthy.length - 1);
  const afterIntervals = intervalsSeconds(after);
  log(`  after the kill, ${afterIntervals.length} intervals: ${afterIntervals.map((v) => v.toFixed(3)).join(" ")} s (senders: ${[...new Set(after.slice(1).map((n) => name(n.payload.externalURL)))].join(", ")})`);
  log(`    ${spread(afterIntervals)}   configured ${period} s   longest within ${t.handoverMaxSeconds} s: ${Math.max(...afterIntervals) <= t.handoverMaxSeconds + 1 ? "yes" : "NO"}`);
  const dead = receiver.matching((n) => n.payload.receiver === RECEIVERS.deadmansSwitch && !isHeartbeat(n));
  if (dead.length > 0) log(`  other notifications at the switch: ${dead.map(describeNotification).join("; ")}`);
  await stopAll();
}

main()
  .catch((e) => {
    // eslint-disable-next-line no-console
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exitCode = 1;
  })
  .finally(() => stopAll().catch((e) => console.error(e)));
