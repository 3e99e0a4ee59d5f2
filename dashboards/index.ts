import * as fs from "fs";
import * as path from "path";
import type { DeployedParts } from "../components/rules/rule-files";
import { alerts, alertsDashboard } from "./alerts";
import { Dashboard, VALID_DATASOURCE_UIDS } from "./common";
import { containers } from "./containers";
import { business } from "./examples/business";
import { host } from "./host";
import { http } from "./http";
import { jsonSyntaxError } from "./json-position";
import { logs } from "./logs";
import { postgres } from "./postgres";
import { probes } from "./probes";
import { redis } from "./redis";
import { stackHealth, stackHealthDashboard } from "./stack-health";
import { backups, backupsDashboard, errorTracking, opensearchLogs } from "./stack-services";
import { TracesBackend, tracesDashboard } from "./traces";
import { checkDatasources } from "./validate";

export { DATASOURCE_UIDS, FOLDERS } from "./common";
export type { Dashboard } from "./common";

export interface RegistryOptions {
  /** Which backend the traces datasource is; the traces dashboard's queries differ. Default `tempo`. */
  tracesBackend?: TracesBackend;
  /** Include the example business dashboard. Default true: the catalogue lists every dashboard. */
  includeExamples?: boolean;
}

/**
 * Every dashboard the stack ships, in a fixed order, each with all its rows: the catalogue (the
 * uids a user's dashboard may not take, the docs' table). What a stack pushes is `deployedDashboards`.
 */
export function allDashboards(opts: RegistryOptions = {}): Dashboard[] {
  const list = [host, containers, probes, http, postgres, redis, logs, opensearchLogs, tracesDashboard(opts.tracesBackend ?? "tempo"), errorTracking, backups, alerts, stackHealth];
  return opts.includeExamples ?? true ? [...list, business] : list;
}

/** One built-in dashboard: what it is for the parts deployed, and the part it needs (none: always). */
interface CatalogueEntry {
  uid: string;
  dashboard: (parts: DeployedParts) => Dashboard;
  needs?: { /** The config switch, for messages. */ part: string; deployed: (parts: DeployedParts) => boolean; /** Why it is left out, when not `<part> is false`. */ off?: string };
}

/**
 * The built-in dashboards and the parts each needs, in `allDashboards` order: the same
 * `DeployedParts` (`deployedPartsOf(config)`) that picks the rule groups picks these, so a
 * dashboard, a dashboard row and a rule group exist only with the part whose metrics they read.
 */
const CATALOGUE: readonly CatalogueEntry[] = [
  { uid: host.uid, dashboard: () => host, needs: { part: "exporters.node.enabled", deployed: (p) => p.exporters.node } },
  // On Kubernetes `exporters.cadvisor` is the kubelet's cAdvisor, with the same container_* names.
  { uid: containers.uid, dashboard: () => containers, needs: { part: "exporters.cadvisor.enabled", deployed: (p) => p.exporters.cadvisor } },
  { uid: probes.uid, dashboard: () => probes, needs: { part: "exporters.blackbox.enabled", deployed: (p) => p.exporters.blackbox } },
  // Recorded per-service series: always there for the services monitorService adds at any time.
  { uid: http.uid, dashboard: () => http },
  { uid: postgres.uid, dashboard: () => postgres, needs: { part: "exporters.postgres.enabled", deployed: (p) => p.exporters.postgres } },
  { uid: redis.uid, dashboard: () => redis, needs: { part: "exporters.redis.enabled", deployed: (p) => p.exporters.redis } },
  { uid: logs.uid, dashboard: () => logs, needs: { part: "logs.enabled", deployed: (p) => p.logs, off: "logs.enabled is false, or logs.backend is not loki" } },
  { uid: opensearchLogs.uid, dashboard: () => opensearchLogs, needs: { part: "logs.backend", deployed: (p) => p.opensearch === true, off: "logs.backend is not opensearch (or logs.enabled is false)" } },
  { uid: "obs-traces", dashboard: (p) => tracesDashboard(p.tracing ?? "tempo"), needs: { part: "tracing.enabled", deployed: (p) => p.tracing !== undefined } },
  { uid: errorTracking.uid, dashboard: () => errorTracking, needs: { part: "errorTracking.enabled", deployed: (p) => p.errorTracking === true } },
  { uid: backups.uid, dashboard: (p) => backupsDashboard(p.platform), needs: { part: "backups.enabled", deployed: (p) => p.backups !== undefined } },
  { uid: alerts.uid, dashboard: (p) => alertsDashboard(p) },
  { uid: stackHealth.uid, dashboard: (p) => stackHealthDashboard(p) },
];

export interface DeployedDashboards {
  /** The built-in dashboards of the parts deployed, each with the rows of those parts only. */
  dashboards: Dashboard[];
  /** The built-in dashboards left out, and why. */
  left: { uid: string; reason: string }[];
}

/**
 * The built-in dashboards of the parts deployed, in `allDashboards` order. The example business
 * dashboard is pushed only when `includeExamples` asks for it: it reads an application's metrics
 * that no part of the stack produces.
 */
export function deployedDashboards(parts: DeployedParts, opts: { includeExamples?: boolean } = {}): DeployedDashboards {
  const out: DeployedDashboards = { dashboards: [], left: [] };
  for (const entry of CATALOGUE) {
    if (entry.needs && !entry.needs.deployed(parts)) out.left.push({ uid: entry.uid, reason: entry.needs.off ?? `${entry.needs.part} is false` });
    else out.dashboards.push(entry.dashboard(parts));
  }
  if (opts.includeExamples ?? false) out.dashboards.push(business);
  else out.left.push({ uid: business.uid, reason: "an example: pushed only when asked for" });
  return out;
}

/** A dashboard loaded from the user's folder. */
export interface UserDashboard extends Dashboard {
  /** The file it came from, for messages. */
  source: string;
}

/** Everything wrong with a user dashboards folder, one line per problem. */
export class DashboardLoadError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "DashboardLoadError";
  }
}

export interface LoadOptions {
  /** Grafana folder of the loaded dashboards. Default `Custom`. */
  folder?: string;
  /** Dashboards the user's may not collide with. Default `allDashboards()`. */
  builtIn?: Dashboard[];
  /** Datasource uids the stack has. Default `DATASOURCE_UIDS`. */
  validUids?: readonly string[];
}

/**
 * Loads the user's dashboards from `dir` (the folder named in config): `*.json` files holding a
 * dashboard's JSON, and `*.ts`/`*.js` modules exporting `dashboard` (a `DashboardBuilder`, a
 * `Dashboard` definition, or plain JSON). Files are read in name order, so the result is the same
 * on every machine. Throws one `DashboardLoadError` listing every problem, each naming its file.
 */
export function loadUserDashboards(dir: string, opts: LoadOptions = {}): UserDashboard[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DashboardLoadError([`dashboards folder ${dir} does not exist or is not a folder`]);
  }
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.(json|ts|js)$/.test(f) && !f.endsWith(".d.ts") && !/\.test\.[jt]s$/.test(f))
    .sort();
  const problems: string[] = [];
  const loaded: UserDashboard[] = [];
  for (const file of files) {
    const source = path.join(dir, file);
    const result = file.endsWith(".json") ? readJson(source) : readModule(source);
    if ("problem" in result) {
      problems.push(`${source}: ${result.problem}`);
      continue;
    }
    const json = result.json;
    const uid = json.uid;
    if (typeof uid !== "string" || uid.trim() === "") {
      problems.push(`${source}: dashboard has no "uid" (give it a stable uid: links and bookmarks depend on it)`);
      continue;
    }
    for (const p of checkDatasources(json, opts.validUids ?? VALID_DATASOURCE_UIDS)) problems.push(`${source}: ${p}`);
    const title = typeof json.title === "string" ? json.title : uid;
    loaded.push({ uid, title, folder: opts.folder ?? "Custom", source, build: () => structuredClone(json) as unknown as ReturnType<Dashboard["build"]> });
  }
  // A uid already taken (by a built-in dashboard or an earlier file): the file comes first, as in every other problem.
  const taken = new Map((opts.builtIn ?? allDashboards()).map((d) => [d.uid, `the built-in dashboard "${d.title}"`]));
  for (const d of loaded) {
    const first = taken.get(d.uid);
    if (first !== undefined) problems.push(`${d.source}: dashboard uid "${d.uid}" is already used by ${first}; give each dashboard a uid of its own`);
    else taken.set(d.uid, d.source);
  }
  if (problems.length > 0) throw new DashboardLoadError(problems);
  return loaded;
}

type Loaded = { json: Record<string, unknown> } | { problem: string };

function readJson(file: string): Loaded {
  const text = fs.readFileSync(file, "utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const e = jsonSyntaxError(text);
    return { problem: `not valid JSON: ${e ? `${e.message} at line ${e.line}, column ${e.column}` : "unparseable"}` };
  }
  return asDashboardJson(value);
}

function readModule(file: string): Loaded {
  let mod: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(path.resolve(file)) as Record<string, unknown>;
  } catch (e) {
    return { problem: `could not be loaded: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
  }
  const exported = mod.dashboard;
  if (exported === undefined) return { problem: `exports no "dashboard" (export const dashboard = new DashboardBuilder(...) or a dashboard JSON object)` };
  if (typeof exported === "object" && exported !== null && typeof (exported as { build?: unknown }).build === "function") {
    try {
      return asDashboardJson((exported as { build(): unknown }).build());
    } catch (e) {
      return { problem: `dashboard.build() threw: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  return asDashboardJson(exported);
}

function asDashboardJson(value: unknown): Loaded {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { problem: "is not a dashboard: expected a JSON object" };
  // A JSON round trip: builder output carries marker methods, and the result must be plain data.
  return { json: JSON.parse(JSON.stringify(value)) as Record<string, unknown> };
}
