import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DashboardLoadError, loadUserDashboards } from "../dashboards/index";

/** The committed fixture folder: one JSON dashboard and one builder module, both valid. */
const FIXTURES = path.join(__dirname, "fixtures", "dashboards", "user");

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A temp folder holding `files` (broken inputs live here, not in the repository). */
function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-dashboards-"));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const good = (uid: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    uid,
    title: `Dashboard ${uid}`,
    panels: [{ type: "timeseries", title: "Requests", datasource: { type: "prometheus", uid: "prometheus" }, targets: [{ refId: "A", expr: "up" }] }],
    ...extra,
  });

/** The problems of the one `DashboardLoadError` that loading `dir` throws. */
function problems(dir: string): string[] {
  try {
    loadUserDashboards(dir);
  } catch (e) {
    if (e instanceof DashboardLoadError) return e.problems;
    throw e;
  }
  throw new Error(`loading ${dir} did not fail`);
}

describe("loadUserDashboards", () => {
  it("loads JSON files and builder modules in file-name order, into the Custom folder", () => {
    const loaded = loadUserDashboards(FIXTURES);
    expect(loaded.map((d) => [d.uid, d.title, d.folder, path.basename(d.source)])).toEqual([
      ["team-checkout", "Checkout", "Custom", "checkout.ts"],
      ["team-api", "Team API", "Custom", "team-api.json"],
    ]);
    // The builder module's output is plain JSON data with its panel and query.
    const checkout = loaded[0].build() as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    expect(checkout.panels.map((p) => p.title)).toEqual(["Orders", "Orders"]);
    expect(checkout.panels[1].targets?.[0].expr).toBe("sum(rate(orders_total[$__rate_interval]))");
  });

  it("uses the folder it is given", () => {
    expect(loadUserDashboards(FIXTURES, { folder: "Teams" }).map((d) => d.folder)).toEqual(["Teams", "Teams"]);
  });

  it("loads a .js module exporting plain dashboard JSON", () => {
    const dir = folder({ "plain.js": `exports.dashboard = ${good("plain-js")};` });
    expect(loadUserDashboards(dir).map((d) => d.uid)).toEqual(["plain-js"]);
  });

  it("ignores files that are not dashboards", () => {
    const dir = folder({ "README.md": "# notes", "a.json": good("a") });
    expect(loadUserDashboards(dir).map((d) => d.uid)).toEqual(["a"]);
  });

  it("rejects a file that is not valid JSON, with the line and column", () => {
    const dir = folder({ "broken.json": `{\n  "uid": "x",\n  "title": "X",\n}\n` });
    expect(problems(dir)).toEqual([`${path.join(dir, "broken.json")}: not valid JSON: unexpected "}" at line 4, column 1`]);
  });

  it("rejects a dashboard without a uid", () => {
    const dir = folder({ "nouid.json": JSON.stringify({ title: "No uid", panels: [] }) });
    expect(problems(dir)).toEqual([`${path.join(dir, "nouid.json")}: dashboard has no "uid" (give it a stable uid: links and bookmarks depend on it)`]);
  });

  it("rejects two dashboards with one uid, naming both files", () => {
    const dir = folder({ "a.json": good("same"), "b.js": `exports.dashboard = ${good("same")};` });
    expect(problems(dir)).toEqual([`${path.join(dir, "b.js")}: dashboard uid "same" is already used by ${path.join(dir, "a.json")}; give each dashboard a uid of its own`]);
  });

  it("rejects a uid a built-in dashboard has", () => {
    const dir = folder({ "host.json": good("obs-host") });
    expect(problems(dir)).toEqual([`${path.join(dir, "host.json")}: dashboard uid "obs-host" is already used by the built-in dashboard "Host (node-exporter)"; give each dashboard a uid of its own`]);
  });

  it("rejects a datasource uid the stack does not have, naming the panel and listing the valid uids", () => {
    const json = good("ds", { panels: [{ type: "timeseries", title: "Latency", datasource: { type: "prometheus", uid: "PBFA97CFB590B2093" }, targets: [] }] });
    const dir = folder({ "ds.json": json });
    expect(problems(dir)).toEqual([
      `${path.join(dir, "ds.json")}: panel "Latency" uses datasource uid "PBFA97CFB590B2093", which the stack does not have (valid uids: alertmanager, loki, opensearch, prometheus, traces)`,
    ]);
  });

  it("rejects a module without a dashboard export, and one that does not load", () => {
    const dir = folder({ "empty.js": "exports.other = 1;", "throws.js": `throw new Error("boom");` });
    expect(problems(dir)).toEqual([
      `${path.join(dir, "empty.js")}: exports no "dashboard" (export const dashboard = new DashboardBuilder(...) or a dashboard JSON object)`,
      `${path.join(dir, "throws.js")}: could not be loaded: boom`,
    ]);
  });

  it("rejects JSON that is not an object", () => {
    const dir = folder({ "list.json": "[]" });
    expect(problems(dir)).toEqual([`${path.join(dir, "list.json")}: is not a dashboard: expected a JSON object`]);
  });

  it("reports every problem of the folder at once, one per line", () => {
    const dir = folder({ "a.json": "{", "b.json": JSON.stringify({ title: "B" }) });
    expect(() => loadUserDashboards(dir)).toThrow(
      `${path.join(dir, "a.json")}: not valid JSON: unexpected end of file at line 1, column 2\n${path.join(dir, "b.json")}: dashboard has no "uid" (give it a stable uid: links and bookmarks depend on it)`,
    );
  });

  it("rejects a folder that does not exist", () => {
    const missing = path.join(os.tmpdir(), "obs-dashboards-does-not-exist");
    expect(() => loadUserDashboards(missing)).toThrow(`dashboards folder ${missing} does not exist or is not a folder`);
  });
});
