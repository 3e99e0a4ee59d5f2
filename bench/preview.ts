/**
 * `npm run bench:preview`: how long the program takes to evaluate (what `pulumi preview` spends in
 * the Node process, before any provider call) with 0, 1, 100, 1000 and 3000 monitored services, for
 * the dev (Docker) and prod (Kubernetes) stack files, under Pulumi mocks.
 *
 * Two builds of the library, each imported by a TypeScript program run with ts-node, as
 * `pulumi preview` runs a TypeScript program:
 * - `source`: the library's own `.ts` files, compiled by ts-node as they load (this repository's
 *   `index.ts`);
 * - `dist`: the compiled package, `npm run build`'s `dist/`, imported by its package name (resolved
 *   through package.json `exports`), as a program that installed it from npm does. The bench
 *   rebuilds `dist/` first unless given `--no-build`.
 * Either way ts-node formats every stack trace through source-map-support, and so does Pulumi's
 * language host for a JavaScript program (`@pulumi/pulumi/cmd/run` registers
 * `source-map-support/register`): the SDK reads `new Error().stack` four times per output property
 * of every resource, which made that formatting the largest cost of a resource until the library
 * constructed its resources without those traces (components/platform/stack-traces.ts; see the
 * README's benchmarks).
 *
 * Each case runs in a child process of its own: the mock monitor is process-wide, and the child's
 * peak resident memory (`process.resourceUsage().maxRSS`) is then that case's alone. Services are
 * added with `ObservabilityStack.monitorService` when it exists, else as `scrapeTargets` entries
 * (the output says which). Growth is linear when the time per added service does not rise with N.
 *
 * Options: `--builds source,dist`, `--stacks dev,prod`, `--counts 0,1,100,1000,3000`,
 * `--repeats 3`, `--no-build`.
 */
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
// 3000 as well: at 100 the services' share of the settle time is within the run-to-run noise, so
// 1000 against 3000 is the ratio that can tell linear from not.
const DEFAULT_COUNTS = [0, 1, 100, 1000, 3000];
const STACKS = ["dev", "prod"] as const;
type StackName = (typeof STACKS)[number];
const BUILDS = ["source", "dist"] as const;
type Build = (typeof BUILDS)[number];

/** The goals: evaluation of the default stack, and of the stack with 1000 services. */
const GOAL_DEFAULT_MS = 2000;
const GOAL_1000_MS = 10000;

interface CaseResult {
  /** A registration the preview would fail with (first line), e.g. a Kubernetes ConfigMap over 1 MiB. */
  previewError?: string;
  build: Build;
  stack: StackName;
  services: number;
  method: "monitorService" | "scrapeTargets";
  /** From the process' start until the library is loaded (Node, ts-node, the SDK, the providers, the library). */
  loadMs: number;
  /** Construction of the stack. */
  constructMs: number;
  /** The N `monitorService` calls (0 with scrapeTargets: those are part of the construction). */
  addMs: number;
  /**
   * Until every registration and apply has reached the mocks: the services' dashboards, jobs and
   * rules join the stack here, when it is sealed (includes a ~100 ms quiet period).
   */
  settleMs: number;
  /** Construct, add and settle: the program's evaluation. */
  ms: number;
  /** CPU time of the evaluation, all of the process' threads (the garbage collector's included). */
  cpuMs: number;
  resources: number;
  /** Peak resident set of the child, MiB. */
  peakRssMiB: number;
}

/** One case, in this process: prints its result as JSON on the last line. */
async function runCase(build: Build, stack: StackName, n: number): Promise<void> {
  const { installMocks, settle } = await import("../test/helpers/mocks");
  const { stackFileRaw, stackFileSecrets } = await import("../test/helpers/stack-files");
  const recorder = installMocks({ stack });
  // What would fail `pulumi preview` surfaces as rejected registrations: recorded, not fatal, so the
  // case is still timed and the table says the stack is not deployable at that size.
  const previewErrors: string[] = [];
  process.on("unhandledRejection", (e) => previewErrors.push(String((e as Error)?.message ?? e).split("\n")[0]));
  // `dist`: by package name, as an importing program does (package.json `exports` → dist/).
  const library = build === "dist" ? require.resolve("pulumi-observability") : "../components/observability";
  const { ObservabilityStack } = (await import(library)) as typeof import("../components/stack/observability-stack");
  const loadMs = performance.now();
  const raw = stackFileRaw(stack);
  const secrets = stackFileSecrets(stack);
  const hasMonitorService = typeof (ObservabilityStack.prototype as { monitorService?: unknown }).monitorService === "function";

  const service = (i: number) => {
    const name = `svc-${String(i).padStart(4, "0")}`;
    const where = stack === "dev" ? { targets: [`${name}:8080`] } : { kubernetes: { namespace: "apps", selector: { app: name } } };
    return { name, ...where, slo: { availability: 0.999, latencyP95: "300ms" }, team: `team_${i % 10}` };
  };
  // A service's `team` must be routed somewhere: one route per team, to the stack file's receiver.
  const alerting = (raw.alerting ?? {}) as { receivers?: { name: string }[]; route?: { routes?: unknown[] } };
  const receiver = alerting.receivers?.[0]?.name ?? "default";
  const teamRoutes = Array.from({ length: 10 }, (_, t) => ({ matchers: [`team="team_${t}"`], receiver }));
  raw.alerting = { ...alerting, route: { ...alerting.route, routes: [...teamRoutes, ...(alerting.route?.routes ?? [])] } };
  if (!hasMonitorService) {
    raw.scrapeTargets = Array.from({ length: n }, (_, i) => ({ job: service(i).name, targets: [`${service(i).name}:8080`] }));
  }

  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const obs = new ObservabilityStack(`bench-${stack}`, { config: raw as never, secrets: secrets as never });
  const t1 = now();
  if (hasMonitorService) {
    const monitor = (obs as unknown as { monitorService(s: unknown): unknown }).monitorService.bind(obs);
    for (let i = 0; i < n; i++) monitor(service(i));
  }
  const t2 = now();
  await settle();
  const t3 = now();
  const cpu = process.cpuUsage(cpu0);
  const result: CaseResult = {
    build,
    stack,
    services: n,
    method: hasMonitorService ? "monitorService" : "scrapeTargets",
    loadMs,
    constructMs: t1 - t0,
    addMs: t2 - t1,
    settleMs: t3 - t2,
    ms: t3 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    resources: recorder.resources.length,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(previewErrors.length > 0 ? { ...result, previewError: previewErrors[0] } : result));
}

function runChild(build: Build, stack: StackName, n: number): CaseResult {
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--case", build, stack, String(n)], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // The SDK logs a warning per secret it cannot verify under mocks; only the result matters here.
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as CaseResult;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function listOption<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const text = option(name);
  if (text === undefined) return [...fallback];
  const values = text.split(",");
  const bad = values.filter((v) => !allowed.includes(v as T));
  if (bad.length > 0) throw new Error(`--${name}: unknown ${bad.join(", ")} (one or more of ${allowed.join(", ")})`);
  return values as T[];
}

const fmtLoad = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

function main(): void {
  const builds = listOption("builds", BUILDS, BUILDS);
  const stacks = listOption("stacks", STACKS, STACKS);
  const counts = (option("counts") ?? DEFAULT_COUNTS.join(",")).split(",").map(Number);
  /** Each case this many times; the median of each figure is reported (the machine is shared). */
  const repeats = Number(option("repeats") ?? 3);

  if (builds.includes("dist") && !process.argv.includes("--no-build")) {
    const start = Date.now();
    // `npm run build`: what is measured is the current source, not a stale dist/.
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "inherit" });
    console.log(`dist/ rebuilt (npm run build) in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }
  const loadBefore = fmtLoad();

  const results: CaseResult[] = [];
  for (const build of builds) {
    for (const stack of stacks) {
      for (const n of counts) {
        const runs = Array.from({ length: repeats }, () => runChild(build, stack, n));
        const med = (k: "loadMs" | "constructMs" | "addMs" | "settleMs" | "ms" | "cpuMs" | "peakRssMiB") => median(runs.map((r) => r[k]));
        results.push({
          ...runs[0],
          loadMs: med("loadMs"),
          constructMs: med("constructMs"),
          addMs: med("addMs"),
          settleMs: med("settleMs"),
          ms: med("ms"),
          cpuMs: med("cpuMs"),
          peakRssMiB: med("peakRssMiB"),
        });
      }
    }
  }

  const method = results[0].method;
  console.log(
    method === "monitorService"
      ? "services added with ObservabilityStack.monitorService (scrape job + SLO rules + team label + dashboard each)"
      : "ObservabilityStack.monitorService does not exist yet: services added as scrapeTargets entries instead",
  );
  console.log(`median of ${repeats} runs per case, each in its own process; ${os.cpus().length} CPUs, load average ${loadBefore} before, ${fmtLoad()} after`);
  console.log("load: process start until the library is loaded; wall: construct + add + settle, the program's evaluation; cpu: its CPU time\n");
  const cols = ["build", "stack", "services", "resources", "load ms", "construct ms", "add ms", "settle ms", "wall ms", "cpu ms", "peak RSS MiB", "wall ms/svc"];
  console.log(cols.map((c, i) => (i < 2 ? c.padEnd(7) : c.padStart(13))).join(""));
  const base = (r: CaseResult) => results.find((b) => b.build === r.build && b.stack === r.stack && b.services === 0);
  for (const r of results) {
    const b = base(r);
    // Not for 1 service: one service's share is far below the run-to-run noise.
    const perService = r.services >= 100 && b ? ((r.ms - b.ms) / r.services).toFixed(2) : "";
    const cells = [r.services, r.resources, r.loadMs.toFixed(0), r.constructMs.toFixed(0), r.addMs.toFixed(1), r.settleMs.toFixed(0), r.ms.toFixed(0), r.cpuMs.toFixed(0), r.peakRssMiB.toFixed(0), perService];
    console.log(r.build.padEnd(7) + r.stack.padEnd(7) + cells.map((c) => String(c).padStart(13)).join(""));
    if (r.previewError) console.log(`    ^ the preview FAILS at this size: ${r.previewError.slice(0, 300)}`);
  }
  console.log("");
  for (const build of builds) {
    for (const stack of stacks) {
      const at = (n: number) => results.find((r) => r.build === build && r.stack === stack && r.services === n);
      const goals: string[] = [];
      const verdictMs = (ms: number, goal: number) => `${(ms / 1000).toFixed(1)} s (goal < ${goal / 1000} s: ${ms < goal ? "met" : "NOT met"})`;
      if (at(0)) goals.push(`default stack ${verdictMs(at(0)!.ms, GOAL_DEFAULT_MS)}`);
      if (at(1000)) goals.push(`1000 services ${verdictMs(at(1000)!.ms, GOAL_1000_MS)}`);
      const parts = [...goals];
      if (at(0) && at(100) && at(1000) && at(3000)) {
        // Time per added service at 3000 against at 1000, for each part of the service work: the
        // monitorService calls, and what settling takes beyond the 0-service case (rendering the
        // configs and rules of the services). About 1 is linear, about 10 quadratic; up to 1.5
        // counts as linear (timer noise and GC on a shared machine are tens of percent).
        const calls = (n: number) => at(n)!.addMs / n;
        const settling = (n: number) => Math.max(0, at(n)!.settleMs - at(0)!.settleMs) / n;
        const verdict = (ratio: number) => (ratio <= 1.5 ? "no faster than linear" : "FASTER THAN LINEAR");
        const line = (what: string, per: (n: number) => number) => {
          const big = per(3000) / per(1000);
          return `${what} ${per(100).toFixed(3)}/${per(1000).toFixed(3)}/${per(3000).toFixed(3)} ms/service at 100/1000/3000 (3000 vs 1000: ${big.toFixed(2)}, ${verdict(big)})`;
        };
        parts.push(line("calls", calls), line("settle", settling), `+${(at(1000)!.peakRssMiB - at(0)!.peakRssMiB).toFixed(0)} MiB peak RSS for 1000 services`);
      }
      if (parts.length > 0) console.log(`${build} ${stack}: ${parts.join("; ")}`);
    }
  }
}

if (require.main === module) {
  const i = process.argv.indexOf("--case");
  if (i >= 0) {
    runCase(process.argv[i + 1] as Build, process.argv[i + 2] as StackName, Number(process.argv[i + 3])).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    main();
  }
}
