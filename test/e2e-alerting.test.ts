import { parseAlerting } from "../components/alerting/config";
import { renderAlertmanagerConfig } from "../components/alerting/alertmanager-config";
import { renderPrometheusConfig } from "../components/metrics/prometheus-config";
import { defaultThresholds, renderRuleFiles } from "../components/rules/rule-files";
import { alertingDefinition, RECEIVERS, webhookSecrets, withAlertHolds } from "./helpers/alerting-stack";
import { describeWithBinaries } from "./helpers/binaries";
import {
  AlertmanagerHandle,
  describeNotification,
  ExporterHandle,
  Notification,
  PrometheusHandle,
  sleep,
  startAlertmanager,
  startNodeExporter,
  startPrometheus,
  startWebhookReceiver,
  stopAll,
  WebhookReceiverHandle,
} from "./helpers/processes";

/**
 * The whole notification path on real processes, from the rendered configs: two node-exporters of
 * one job scraped by Prometheus, which evaluates the stack's rules and sends to TWO clustered
 * Alertmanagers, which deduplicate over gossip and notify the in-process webhook receiver once.
 * One target down is a TargetDown (a warning, to chat); both down is a ServiceDown (critical: to
 * on-call and chat), which inhibits the job's TargetDown.
 *
 * The phases build on each other (down, up, down again with one Alertmanager dead), so they are
 * the steps of one scenario in order; a failing step makes the following ones fail too.
 */

const BINARIES = ["prometheus", "alertmanager", "node_exporter"];

/**
 * Every timer shortened so the scenario fits in about a minute. group_interval is 4s rather than
 * 2s to stay above the cluster's peer timeout with room for gossip (see PEER_TIMEOUT_S).
 */
const TIMERS = { groupWait: "1s", groupInterval: "4s", repeatInterval: "1h", watchdogRepeatInterval: "1h" };
const GROUP_INTERVAL_S = 4;
const TARGET_DOWN_FOR_S = 3;
/** ServiceDown's hold, shortened like TargetDown's. */
const SERVICE_DOWN_FOR_S = 3;
/**
 * A non-first cluster member holds each flush back for position x peer-timeout (default 15s), then
 * sends it unless the gossiped notification log shows that a peer already did. Shortened like the
 * other timers, it must stay BELOW group_interval (as 15s is below the default 5m): a member's held
 * flush is a snapshot, and when a peer's next flush (a resolve) lands in the log while it waits,
 * the stale "firing" differs from the log and is sent after the "resolved" (a first version of this
 * test, with 3s over a 2s group_interval, got exactly that; prometheus/alertmanager#2447, #4008).
 * 2s leaves ten gossip rounds (200ms) for the log entry to reach the peer over loopback.
 */
const PEER_TIMEOUT_S = 2;
/** Past this after a notification, the second Alertmanager's copy would have arrived: peer timeout + group interval + slack. */
const DUPLICATE_WINDOW_MS = (PEER_TIMEOUT_S + GROUP_INTERVAL_S + 2) * 1000;
/**
 * Prometheus sends a new alert at once, then again every resend delay (default 1m). Alertmanagers
 * are discovered a few seconds after start-up, and what is sent before that is dropped: Watchdog,
 * firing from the first evaluation, would only arrive a minute later. Shortened so it is resent
 * in time; the Alertmanagers deduplicate the resends, so the notifications are unaffected.
 */
const RESEND_DELAY = "2s";
/** Scrape (1s) + evaluation (1s) + for + group_wait (+ peer timeout when the first peer is dead), with room for a slow shared machine. */
const NOTIFY_TIMEOUT_MS = 25000;


describeWithBinaries("alerting pipeline on real processes (Prometheus -> 2 clustered Alertmanagers -> webhook)", BINARIES, () => {
  let receiver: WebhookReceiverHandle;
  let exporter: ExporterHandle;
  /** The job's second target: up until the last phase, so that one target down is not the whole job down. */
  let steady: ExporterHandle;
  let am1: AlertmanagerHandle;
  let am2: AlertmanagerHandle;
  let prometheus: PrometheusHandle;
  /** Alertmanager that sent the first TargetDown notification: the one killed in the last phase. */
  let sender: AlertmanagerHandle;

  const targetDown = (n: Notification) => n.payload.groupLabels?.alertname === "TargetDown";
  const serviceDown = (n: Notification) => n.payload.groupLabels?.alertname === "ServiceDown";
  const watchdog = (n: Notification) => n.payload.alerts.some((a) => a.labels.alertname === "Watchdog");
  const ams = () => [am1, am2];

  afterAll(stopAll);

  beforeAll(async () => {
    [receiver, exporter, steady] = await Promise.all([startWebhookReceiver(), startNodeExporter(), startNodeExporter()]);

    const definition = alertingDefinition(TIMERS);
    const amConfig = renderAlertmanagerConfig(parseAlerting(definition), webhookSecrets(definition, receiver.url));
    const amArgs = [`--cluster.peer-timeout=${PEER_TIMEOUT_S}s`];
    am1 = await startAlertmanager({ configText: amConfig, peers: [], extraArgs: amArgs });
    am2 = await startAlertmanager({ configText: amConfig, peers: [am1.clusterAddress!], extraArgs: amArgs });

    prometheus = await startPrometheus({
      configText: renderPrometheusConfig({
        scrapeInterval: "1s",
        evaluationInterval: "1s",
        externalLabels: { environment: "e2e" },
        ruleFiles: ["rules/*.yml"],
        alertmanagers: [{ kind: "static", targets: [am1.address, am2.address] }],
        jobs: [{ kind: "targets", name: "node-exporter", endpoint: { kind: "static", targets: [exporter.address, steady.address] } }],
      }),
      // Every rule file of the stack; only TargetDown's and ServiceDown's holds are shortened.
      extraArgs: [`--rules.alert.resend-delay=${RESEND_DELAY}`],
      ruleFiles: withAlertHolds(renderRuleFiles(defaultThresholds), { TargetDown: `${TARGET_DOWN_FOR_S}s`, ServiceDown: `${SERVICE_DOWN_FOR_S}s` }),
    });

    // Both members see each other and have settled (until then Alertmanager holds notifications back).
    await Promise.all(
      ams().map((am) =>
        prometheus.waitFor(
          async () => {
            const c = await am.cluster();
            expect({ status: c.status, peers: c.peers.map((p) => p.address).sort() }).toEqual({ status: "ready", peers: [am1.clusterAddress, am2.clusterAddress].sort() });
            return true;
          },
          40000,
          `${am.address} in a settled cluster of two`,
        ),
      ),
    );
    await prometheus.waitFor(
      async () => {
        const data = await prometheus.api<{ activeAlertmanagers: { url: string }[] }>("/api/v1/alertmanagers");
        expect(data.activeAlertmanagers.map((a) => new URL(a.url).host).sort()).toEqual([am1.address, am2.address].sort());
        const up = await prometheus.query(`up{job="node-exporter"}`);
        expect(up.map((s) => s.value[1])).toEqual(["1", "1"]);
        return true;
      },
      20000,
      "Prometheus sending to both Alertmanagers and scraping node-exporter",
    );
  }, 90000);

  it("stops the exporter: exactly one firing TargetDown notification, routed to chat, with its runbook", async () => {
    await exporter.stop();
    const stoppedAt = Date.now();
    const [first] = await receiver.waitForNotifications(1, targetDown, NOTIFY_TIMEOUT_MS, "TargetDown firing");
    // Long enough for the second Alertmanager's copy to have arrived, were deduplication broken.
    await sleep(DUPLICATE_WINDOW_MS);

    const all = receiver.matching(targetDown);
    expect(all.map(describeNotification)).toHaveLength(1);
    const { payload } = first;
    expect(payload.status).toBe("firing");
    expect(payload.receiver).toBe(RECEIVERS.chat);
    expect(payload.groupLabels).toEqual({ alertname: "TargetDown", job: "node-exporter" });
    expect(payload.alerts).toHaveLength(1);
    const [alert] = payload.alerts;
    expect(alert.status).toBe("firing");
    expect(alert.labels).toMatchObject({ alertname: "TargetDown", job: "node-exporter", instance: exporter.address, severity: "warning", environment: "e2e" });
    expect(alert.annotations.runbook_url).toBe(`${defaultThresholds.runbookBaseUrl}/TargetDown.md`);
    expect(payload.commonAnnotations.runbook_url).toBe(`${defaultThresholds.runbookBaseUrl}/TargetDown.md`);
    // The hold was honoured: not before `for` had passed since the target went down.
    expect(first.receivedAt - stoppedAt).toBeGreaterThanOrEqual(TARGET_DOWN_FOR_S * 1000);
    // A warning matches neither the on-call route nor falls through to the default receiver.
    expect(receiver.matching((n) => n.payload.receiver !== RECEIVERS.chat && targetDown(n)).map(describeNotification)).toEqual([]);

    const found = ams().find((am) => payload.externalURL.replace(/\/$/, "") === am.url);
    expect(found).toBeDefined();
    sender = found!;
  });

  it("starts the exporter again: exactly one resolved notification (send_resolved)", async () => {
    await exporter.process.restart();
    const notifications = await receiver.waitForNotifications(2, targetDown, NOTIFY_TIMEOUT_MS, "TargetDown resolved");
    await sleep(DUPLICATE_WINDOW_MS);

    expect(receiver.matching(targetDown).map(describeNotification)).toHaveLength(2);
    const resolved = notifications[1].payload;
    expect(resolved.status).toBe("resolved");
    expect(resolved.receiver).toBe(RECEIVERS.chat);
    expect(resolved.alerts).toHaveLength(1);
    expect(resolved.alerts[0].status).toBe("resolved");
    expect(resolved.alerts[0].fingerprint).toBe(notifications[0].payload.alerts[0].fingerprint);
    expect(resolved.alerts[0].annotations.runbook_url).toBe(`${defaultThresholds.runbookBaseUrl}/TargetDown.md`);
  });

  it("kills the Alertmanager that sent them (SIGKILL): the survivor notifies, once", async () => {
    const survivor = sender === am1 ? am2 : am1;
    await sender.process.kill();
    await exporter.stop();
    const notifications = await receiver.waitForNotifications(3, targetDown, NOTIFY_TIMEOUT_MS, "TargetDown firing via the surviving Alertmanager");
    await sleep(DUPLICATE_WINDOW_MS);

    expect(receiver.matching(targetDown).map(describeNotification)).toHaveLength(3);
    const again = notifications[2].payload;
    expect(again.status).toBe("firing");
    expect(again.receiver).toBe(RECEIVERS.chat);
    expect(again.alerts.map((a) => a.labels.alertname)).toEqual(["TargetDown"]);
    expect(again.alerts[0].annotations.runbook_url).toBe(`${defaultThresholds.runbookBaseUrl}/TargetDown.md`);
    expect(again.externalURL.replace(/\/$/, "")).toBe(survivor.url);
    expect(survivor.process.running).toBe(true);
  });

  it("stops the job's other target too: one ServiceDown to on-call and one to chat, and the job's TargetDown inhibited", async () => {
    await steady.stop();
    const stoppedAt = Date.now();
    const pages = await receiver.waitForNotifications(2, serviceDown, NOTIFY_TIMEOUT_MS, "ServiceDown to on-call and chat");
    await sleep(DUPLICATE_WINDOW_MS);

    expect(receiver.matching(serviceDown).map((n) => n.payload.receiver).sort()).toEqual([RECEIVERS.chat, RECEIVERS.oncall]);
    for (const { payload } of pages) {
      expect(payload.status).toBe("firing");
      expect(payload.groupLabels).toEqual({ alertname: "ServiceDown", job: "node-exporter" });
      expect(payload.alerts).toHaveLength(1);
      expect(payload.alerts[0].labels).toMatchObject({ alertname: "ServiceDown", job: "node-exporter", severity: "critical", environment: "e2e" });
      expect(payload.alerts[0].annotations.runbook_url).toBe(`${defaultThresholds.runbookBaseUrl}/ServiceDown.md`);
    }
    expect(Math.min(...pages.map((n) => n.receivedAt)) - stoppedAt).toBeGreaterThanOrEqual(SERVICE_DOWN_FOR_S * 1000);

    // The second target's TargetDown fired in Prometheus, but the Alertmanager holds it back:
    // no fourth TargetDown notification, and the API shows it inhibited by the ServiceDown.
    const survivor = ams().find((am) => am.process.running)!;
    const alerts = await survivor.api<{ labels: Record<string, string>; fingerprint: string; status: { state: string; inhibitedBy: string[] } }[]>("/api/v2/alerts");
    const page = alerts.find((a) => a.labels.alertname === "ServiceDown")!;
    const muted = alerts.filter((a) => a.labels.alertname === "TargetDown");
    expect(muted.map((a) => [a.labels.instance, a.status.state, a.status.inhibitedBy]).sort()).toEqual(
      [exporter.address, steady.address].sort().map((instance) => [instance, "suppressed", [page.fingerprint]]),
    );
    expect(receiver.matching(targetDown).map(describeNotification)).toHaveLength(3);
  });

  it("delivered Watchdog to the dead-man's switch only, once across the cluster, and every payload was well-formed", () => {
    const dogs = receiver.matching(watchdog);
    expect(dogs.map((n) => `${n.payload.receiver} ${n.path}`)).toEqual([`${RECEIVERS.deadmansSwitch} /${RECEIVERS.deadmansSwitch}`]);
    expect(dogs[0].payload.alerts[0].annotations.runbook_url).toBe(`${defaultThresholds.runbookBaseUrl}/Watchdog.md`);
    expect(receiver.rejected).toEqual([]);
  });
});
