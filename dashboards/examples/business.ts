import { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { Dashboard, buildDashboard, FOLDERS, newDashboard, promQuery as q, statPanel, timeseriesPanel } from "../common";

/**
 * An example business dashboard: copy this file into your dashboards folder, change the metric
 * names to your application's, and keep a stable `uid`. The metrics are the ones a typical
 * prom-client setup exports:
 *   active_users_total (gauge), user_signups_total (counter), user_logins_total{status="success"|"failed"} (counter).
 * Counters are shown as increases over the time range or rates; gauges as they are.
 */

export const business: Dashboard = {
  uid: "obs-example-business",
  title: "Business metrics (example)",
  folder: FOLDERS.examples,
  build: () =>
    buildDashboard(
      newDashboard(business.uid, business.title, ["business", "example"])
        .description("Active users, sign-ups and logins: an example of a dashboard on application metrics.")
        .withRow(new RowBuilder("Users"))
        .withPanel(statPanel({ title: "Active users", unit: "short", query: q(`sum(active_users_total)`) }))
        .withPanel(statPanel({ title: "Sign-ups in range", unit: "short", query: q(`sum(increase(user_signups_total[$__range]))`, undefined, { instant: true }) }))
        .withPanel(statPanel({ title: "Logins in range", unit: "short", query: q(`sum(increase(user_logins_total{status="success"}[$__range]))`, undefined, { instant: true }) }))
        .withPanel(
          statPanel({
            title: "Failed logins",
            unit: "percentunit",
            description: "A jump here is a broken login page or a credential-stuffing attempt.",
            query: q(`sum(rate(user_logins_total{status="failed"}[$__rate_interval])) / sum(rate(user_logins_total[$__rate_interval]))`),
            steps: [{ value: null, color: "green" }, { value: 0.1, color: "orange" }, { value: 0.3, color: "red" }],
          }),
        )
        .withRow(new RowBuilder("Trends"))
        .withPanel(timeseriesPanel({ title: "Active users", unit: "short", queries: [q(`sum(active_users_total)`, "active users")] }))
        .withPanel(timeseriesPanel({ title: "Sign-ups per hour", unit: "short", bars: true, queries: [q(`sum(increase(user_signups_total[1h]))`, "sign-ups")] }))
        .withPanel(
          timeseriesPanel({
            title: "Logins by status",
            unit: "ops",
            queries: [q(`sum by (status) (rate(user_logins_total[$__rate_interval]))`, "{{status}}")],
          }),
        ),
    ),
};
