import { serviceDashboard } from "../dashboards/service";
import { extractQueries, substituteVariables, validateDashboard, variableNames } from "../dashboards/validate";

describe("serviceDashboard", () => {
  const d = serviceDashboard("checkout");

  it("has a stable uid and title of its own, in the Applications folder", () => {
    expect([d.uid, d.json.uid, d.json.title, d.folder]).toStrictEqual(["obs-svc-checkout", "obs-svc-checkout", "checkout: HTTP (RED)", "Applications"]);
  });

  it("fixes the service variable to the service, hidden", () => {
    expect(d.json.templating.list.filter((v: { name: string }) => v.name === "service")).toStrictEqual([
      { name: "service", type: "constant", query: "checkout", hide: 2, current: { text: "checkout", value: "checkout" } },
    ]);
  });

  it("passes the same validation as every shipped dashboard: queries parse, datasources resolve", () => {
    expect(validateDashboard(d.json)).toStrictEqual([]);
    const names = variableNames(d.json);
    const first = extractQueries(d.json).find((q) => q.expr.includes("$service"))!;
    expect(substituteVariables(first.expr, names, { service: "checkout" })).toContain('service=~"checkout"');
  });
});
