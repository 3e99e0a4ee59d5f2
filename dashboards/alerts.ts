import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import type { DeployedParts } from "../components/rules/rule-files";
import { Dashboard, FOLDERS, buildDashboard, newDashboard, promQuery as q, statPanel, tablePanel, timeseriesPanel } from "./common";

/**
 * What is firing (Prometheus' `ALERTS` series) and whether Alertmanager delivers it.
 * `or vector(0)` keeps the stats at 0 instead of "No data" when nothing fires. Alertmanager's
 * panels (the failed-notifications stat and its row) are there only when it is deployed.
 */

const rate = (metric: string) => `sum by (integration) (rate(${metric}[$__rate_interval]))`;

const UID = "obs-alerts";
const TITLE = "Alerts overview";

/** The alerts dashboard of the parts deployed; with Alertmanager's panels when `parts` is not given. */
export function alertsDashboard(parts?: DeployedParts): Dashboard {
  const alertmanager = parts === undefined || parts.alertmanager;
  return {
    uid: UID,
    title: TITLE,
    folder: FOLDERS.observability,
    build: () => {
      const b = newDashboard(UID, TITLE, ["alerts", "alertmanager"])
        .description(alertmanager ? "Firing and pending alerts by severity, and Alertmanager's notification delivery." : "Firing and pending alerts by severity.")
        .withRow(new RowBuilder("Alerts"))
        .withPanel(
          statPanel({
            title: "Critical firing",
            unit: "short",
            query: q(`count(ALERTS{alertstate="firing", severity="critical"}) or vector(0)`),
            steps: [{ value: null, color: "green" }, { value: 1, color: "red" }],
          }),
        )
        .withPanel(
          statPanel({
            title: "Warnings firing",
            unit: "short",
            query: q(`count(ALERTS{alertstate="firing", severity="warning"}) or vector(0)`),
            steps: [{ value: null, color: "green" }, { value: 1, color: "orange" }],
          }),
        )
        .withPanel(statPanel({ title: "Pending", unit: "short", query: q(`count(ALERTS{alertstate="pending"}) or vector(0)`) }));
      if (alertmanager) {
        b.withPanel(
          statPanel({
            title: "Failed notifications",
            unit: "short",
            description: "Notifications Alertmanager could not deliver in the time range: someone was not paged.",
            query: q(`sum(increase(alertmanager_notifications_failed_total[$__range])) or vector(0)`, undefined, { instant: true }),
            steps: [{ value: null, color: "green" }, { value: 1, color: "red" }],
          }),
        );
      }
      b.withPanel(
        timeseriesPanel({
          title: "Firing alerts by severity",
          unit: "short",
          stack: true,
          queries: [q(`sum by (severity) (ALERTS{alertstate="firing"})`, "{{severity}}")],
        }),
      ).withPanel(tablePanel({ title: "Firing now", w: 12, queries: [q(`ALERTS{alertstate="firing"}`, undefined, { table: true })] }));
      if (alertmanager) {
        b.withRow(new RowBuilder("Alertmanager"))
          .withPanel(
            timeseriesPanel({
              title: "Alerts in Alertmanager",
              unit: "short",
              description: "active: being notified; suppressed: silenced or inhibited.",
              queries: [q(`sum by (state) (alertmanager_alerts)`, "{{state}}")],
            }),
          )
          .withPanel(
            timeseriesPanel({
              title: "Notifications sent and failed",
              unit: "short",
              queries: [q(rate("alertmanager_notifications_total"), "sent {{integration}}"), q(rate("alertmanager_notifications_failed_total"), "failed {{integration}}")],
            }),
          );
      }
      return buildDashboard(b);
    },
  };
}

/** With Alertmanager's panels: the catalogue's dashboard (`allDashboards`). */
export const alerts: Dashboard = alertsDashboard();
