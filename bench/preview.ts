/**
 * `npm run bench:preview`: how long the program takes to evaluate (what `pulumi preview` spends in
 * the Node process, before any provider call) with 0, 1, 100 and 1000 monitored services, for the
 * dev (Docker) and prod (Kubernetes) stack files, under Pulumi mocks.
 *
 * Each case runs in a child process of its own: the mock monitor is process-wide, and the child's
 * peak resident memory (`process.resourceUsage().maxRSS`) is then that case's alone. Services are
 * added with `ObservabilityStack.monitorService` when it exists, else as `scrapeTargets` entries
 * (the output says which). Growth is linear when the time per added service does not rise with N.
 */
import { execFileSync } from "child_process";
import * as path from "path";

// 3000 as well: at 100 the services' share of the settle time is within the run-to-run noise, so
// 1000 against 3000 is the ratio that can tell linear from not.
const COUNTS = [0, 1, 100, 1000, 3000];
const STACKS = ["dev", "prod"] as const;
type StackName = (typeof STACKS)[number];

interface CaseResult {
  stack: StackName;
  services: number;
  method: "monitorService" | "scrapeTargets";
  /** Construction of the stack. */
  constructMs: number;
  /** The N `monitorService` calls (0 with scrapeTargets: those are part of the construction). */
  addMs: number;
  /** Until every registration and apply has reached the mocks (includes a ~100 ms quiet period). */
  settleMs: number;
  /** All three. */
  ms: number;
  resources: number;
  /** Peak resident set of the child, MiB. */
  peakRssMiB: number;
}

/** One case, in this process: prints its result as JSON on the last line. */
async function runCase(stack: StackName, n: number): Promise<void> {
  const { installMocks, settle } = await import("../test/helpers/mocks");
  const { stackFileRaw, stackFileSecrets } = await import("../test/helpers/stack-files");
  const recorder = installMocks({ stack });
  const { ObservabilityStack } = await import("../components/observability");
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
  const result: CaseResult = {
    stack,
    services: n,
    method: hasMonitorService ? "monitorService" : "scrapeTargets",
    constructMs: t1 - t0,
    addMs: t2 - t1,
    settleMs: t3 - t2,
    ms: t3 - t0,
    resources: recorder.resources.length,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
}

function runChild(stack: StackName, n: number): CaseResult {
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--case", stack, String(n)], {
    cwd: path.join(__dirname, ".."),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // The SDK logs a warning per secret it cannot verify under mocks; only the result matters here.
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as CaseResult;
}

/** Each case this many times; the median of each figure is reported (the machine is shared). */
const REPEATS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const results: CaseResult[] = [];
  for (const stack of STACKS) {
    for (const n of COUNTS) {
      const runs = Array.from({ length: REPEATS }, () => runChild(stack, n));
      const med = (k: "constructMs" | "addMs" | "settleMs" | "ms" | "peakRssMiB") => median(runs.map((r) => r[k]));
      results.push({ ...runs[0], constructMs: med("constructMs"), addMs: med("addMs"), settleMs: med("settleMs"), ms: med("ms"), peakRssMiB: med("peakRssMiB") });
    }
  }

  const method = results[0].method;
  console.log(
    method === "monitorService"
      ? "services added with ObservabilityStack.monitorService (scrape job + SLO rules + team label each)"
      : "ObservabilityStack.monitorService does not exist yet: services added as scrapeTargets entries instead",
  );
  console.log(`median of ${REPEATS} runs per case, each in its own process\n`);
  const cols = ["stack", "services", "resources", "construct ms", "add ms", "settle ms", "wall ms", "peak RSS MiB", "wall ms/svc"];
  console.log(cols.map((c, i) => (i === 0 ? c.padEnd(6) : c.padStart(13))).join(""));
  for (const r of results) {
    const base = results.find((b) => b.stack === r.stack && b.services === 0)!;
    const perService = r.services > 0 ? ((r.ms - base.ms) / r.services).toFixed(2) : "";
    const cells = [r.services, r.resources, r.constructMs.toFixed(0), r.addMs.toFixed(1), r.settleMs.toFixed(0), r.ms.toFixed(0), r.peakRssMiB.toFixed(0), perService];
    console.log(r.stack.padEnd(6) + cells.map((c) => String(c).padStart(13)).join(""));
  }
  console.log("");
  for (const stack of STACKS) {
    const at = (n: number) => results.find((r) => r.stack === stack && r.services === n)!;
    // Time per added service at 3000 against at 1000, for each part of the service work: the
    // monitorService calls, and what settling takes beyond the 0-service case (rendering the
    // configs and rules of the services). About 1 is linear, about 10 quadratic; up to 1.5 counts
    // as linear (timer noise and GC on a shared machine are tens of percent).
    const calls = (n: number) => at(n).addMs / n;
    const settling = (n: number) => Math.max(0, at(n).settleMs - at(0).settleMs) / n;
    const verdict = (ratio: number) => (ratio <= 1.5 ? "no faster than linear" : "FASTER THAN LINEAR");
    const line = (what: string, per: (n: number) => number) => {
      const big = per(3000) / per(1000);
      return `${what} ${per(100).toFixed(3)}/${per(1000).toFixed(3)}/${per(3000).toFixed(3)} ms/service at 100/1000/3000 (3000 vs 1000: ${big.toFixed(2)}, ${verdict(big)})`;
    };
    console.log(`${stack}: ${line("calls", calls)}; ${line("settle", settling)}; +${(at(1000).peakRssMiB - at(0).peakRssMiB).toFixed(0)} MiB peak RSS for 1000 services`);
  }
}

if (require.main === module) {
  const i = process.argv.indexOf("--case");
  if (i >= 0) {
    runCase(process.argv[i + 1] as StackName, Number(process.argv[i + 2])).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    main();
  }
}
