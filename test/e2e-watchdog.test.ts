import { watchdogTimers } from "../components/alerting/config";
import { describeWithBinaries } from "./helpers/binaries";
import { heartbeats, intervalsSeconds, isHeartbeat, startWatchdogCluster, WatchdogCluster } from "./helpers/alerting-stack";
import { AlertmanagerHandle, Notification, stopAll } from "./helpers/processes";

/**
 * The dead man's switch beats when it says, on real processes: Prometheus evaluates the stack's
 * Watchdog rule and sends it to TWO clustered Alertmanagers with the production peer timeout
 * (15s), fed the rendered alertmanager.yml; every heartbeat's arrival at the webhook is recorded.
 *
 *  1. Healthy cluster: every interval is the configured period within STEADY_TOLERANCE_S, all from
 *     one replica (the first by peer name; the other's held flush finds the heartbeat in the
 *     gossiped log), never a duplicate.
 *  2. The sending replica killed (SIGKILL) 2s after a heartbeat (its log entry gossiped by then):
 *     the survivor's first heartbeat comes within the handover bounds of `watchdogTimers`
 *     (repeat_interval .. repeat_interval + group_interval), then every period again. (Killed
 *     within a gossip round of the send, the survivor never learns of the last heartbeat and
 *     repeats it a peer timeout later, then P + G - W later: measured 15.0 s then 45.0 s for 40s;
 *     the heartbeat model in alertmanager-render.test.ts covers that case.)
 *
 * The period is 40s (the shortest the schema allows: group interval 20s, repeat interval 27s), so
 * the whole scenario takes about 4.5 minutes.
 */

const BINARIES = ["prometheus", "alertmanager"];
const PERIOD = "40s";
const TIMERS = watchdogTimers(PERIOD);
/**
 * Steady state: the interval is the period plus the change in delivery time and timer drift
 * between two heartbeats, milliseconds on loopback; 1s leaves room for a loaded machine.
 */
const STEADY_TOLERANCE_S = 1;
const HEALTHY_INTERVALS = 3;
const SURVIVOR_INTERVALS = 2;
/** After the heartbeat: ten gossip rounds (200 ms), so the survivor has its log entry. */
const KILL_AFTER_MS = 2000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
/**
 * The survivor has declared the sender dead (~5 s) long before its first due tick, so it does not
 * hold that flush: repeat_interval + group_interval at most (`handoverMaxSeconds` adds the hold).
 */
const NORMAL_HANDOVER_MAX_S = TIMERS.repeatIntervalSeconds + TIMERS.groupIntervalSeconds;
/** Cluster settle, Prometheus's discovery of both Alertmanagers, the first evaluation and resend. */
const FIRST_HEARTBEAT_TIMEOUT_MS = 60000;

describeWithBinaries(`Watchdog heartbeat every ${PERIOD} on real processes (Prometheus -> 2 clustered Alertmanagers, peer timeout 15s -> webhook)`, BINARIES, () => {
  let cluster: WatchdogCluster;
  /** The replica that sent the healthy phase's heartbeats: the one killed in the second phase. */
  let sender: AlertmanagerHandle;
  let healthyCount = 0;

  const sentBy = (n: Notification) => cluster.ams.find((am) => n.payload.externalURL.replace(/\/$/, "") === am.url);
  const describeBeats = (ns: Notification[]) => ns.map((n, i) => `${i === 0 ? "" : `+${intervalsSeconds([ns[i - 1], n])[0].toFixed(3)}s `}from ${sentBy(n)?.address}`).join(", ");

  afterAll(stopAll);

  beforeAll(async () => {
    cluster = await startWatchdogCluster(PERIOD);
  }, 120000);

  it(
    `healthy cluster: every heartbeat ${PERIOD} after the previous (within ${STEADY_TOLERANCE_S}s), from one replica, no duplicate`,
    async () => {
      const periodMs = TIMERS.periodSeconds * 1000;
      await cluster.receiver.waitForNotifications(1, isHeartbeat, FIRST_HEARTBEAT_TIMEOUT_MS, "the first Watchdog heartbeat");
      await cluster.receiver.waitForNotifications(HEALTHY_INTERVALS + 1, isHeartbeat, HEALTHY_INTERVALS * periodMs + 20000, `${HEALTHY_INTERVALS + 1} heartbeats`);
      const beats = heartbeats(cluster.receiver);
      healthyCount = beats.length;
      const intervals = intervalsSeconds(beats);
      console.log(`watchdog e2e, healthy cluster, period ${PERIOD} (group_interval ${TIMERS.groupInterval}, repeat_interval ${TIMERS.repeatInterval}): intervals ${intervals.map((s) => s.toFixed(3)).join(" ")} s`);

      expect({ intervals: intervals.filter((s) => Math.abs(s - TIMERS.periodSeconds) > STEADY_TOLERANCE_S), beats: describeBeats(beats) }).toEqual({ intervals: [], beats: describeBeats(beats) });
      const senders = new Set(beats.map((n) => sentBy(n)));
      expect(senders.size).toBe(1);
      sender = [...senders][0]!;
      expect(sender).toBeDefined();
      // Nothing else reached the switch: no resolved, no other alert.
      expect(cluster.receiver.matching((n) => n.payload.receiver === "deadmans-switch").length).toBe(beats.length);
      expect(cluster.receiver.rejected).toEqual([]);
    },
    FIRST_HEARTBEAT_TIMEOUT_MS + (HEALTHY_INTERVALS + 1) * TIMERS.periodSeconds * 1000,
  );

  it(
    `kills the sending replica 2s after a heartbeat: the survivor's first within (${TIMERS.handoverMinSeconds}s, ${NORMAL_HANDOVER_MAX_S}s], then every ${PERIOD}`,
    async () => {
      // Shortly after a heartbeat, so the survivor's first due tick is the one the sender would have sent at.
      const before = heartbeats(cluster.receiver).length;
      const [last] = (await cluster.receiver.waitForNotifications(before + 1, isHeartbeat, (TIMERS.periodSeconds + 5) * 1000, "a heartbeat to kill after")).slice(-1);
      expect(sentBy(last)).toBe(sender);
      await sleep(KILL_AFTER_MS - (Date.now() - last.receivedAt));
      await sender.process.kill();
      const survivor = cluster.ams.find((am) => am !== sender)!;

      const all = await cluster.receiver.waitForNotifications(
        before + 1 + 1 + SURVIVOR_INTERVALS,
        isHeartbeat,
        (TIMERS.handoverMaxSeconds + SURVIVOR_INTERVALS * TIMERS.periodSeconds + 10) * 1000,
        `the survivor's first heartbeat and ${SURVIVOR_INTERVALS} more`,
      );
      const after = all.slice(before);
      const [handover, ...steady] = intervalsSeconds(after);
      console.log(`watchdog e2e, sender killed: handover ${handover.toFixed(3)} s (bounds ${TIMERS.handoverMinSeconds}..${NORMAL_HANDOVER_MAX_S} s), then ${steady.map((s) => s.toFixed(3)).join(" ")} s`);

      expect(after.slice(1).map((n) => sentBy(n))).toEqual(after.slice(1).map(() => survivor));
      expect(handover).toBeGreaterThan(TIMERS.handoverMinSeconds - STEADY_TOLERANCE_S);
      expect(handover).toBeLessThanOrEqual(NORMAL_HANDOVER_MAX_S + STEADY_TOLERANCE_S);
      expect({ steady: steady.filter((s) => Math.abs(s - TIMERS.periodSeconds) > STEADY_TOLERANCE_S), beats: describeBeats(after) }).toEqual({ steady: [], beats: describeBeats(after) });
      expect(healthyCount).toBeGreaterThan(0);
    },
    (TIMERS.periodSeconds + TIMERS.handoverMaxSeconds + SURVIVOR_INTERVALS * TIMERS.periodSeconds + 30) * 1000,
  );
});
