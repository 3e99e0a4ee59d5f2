import * as fs from "fs";
import * as path from "path";
import { alerts } from "./alerts";
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
import { stackHealth } from "./stack-health";
import { TracesBackend, tracesDashboard } from "./traces";
import { checkDatasources } from "./validate";

export { DATASOURCE_UIDS, FOLDERS } from "./common";
export type { Dashboard } from "./common";

export interface RegistryOptions {
  /** Which backend the traces datasource is; the traces dashboard's queries differ. Default `tempo`. */
  tracesBackend?: TracesBackend;
  /** Include the example business dashboard. Default true: it shows users how to add theirs. */
  includeExamples?: boolean;
}

/** Every dashboard the stack ships, in a fixed order. */
export function allDashboards(opts: RegistryOptions = {}): Dashboard[] {
  const list = [host, containers, probes, http, postgres, redis, logs, tracesDashboard(opts.tracesBackend ?? "tempo"), alerts, stackHealth];
  return opts.includeExamples ?? true ? [...list, business] : list;
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
