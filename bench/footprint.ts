/**
 * `npm run bench:footprint`: the CPU and memory each stack declares (requests and limits), per
 * workload, per component and in total, for the dev (Docker) and prod (Kubernetes) stack files.
 * Per-node workloads (DaemonSets) are counted once and marked: multiply by your node count.
 */
import { installMocks, settle } from "../test/helpers/mocks";
import { stackFileRaw, stackFileSecrets } from "../test/helpers/stack-files";
import { WorkloadSpec } from "../components/platform/types";

export function cpuMillis(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

export function memoryMiB(q: string): number {
  const units: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, K: 1e3 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, T: 1e12 / 1048576 };
  const m = /^(\d+(?:\.\d+)?)([KMGT]i?)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  return Number(m[1]) * (m[2] ? units[m[2]] : 1 / 1048576);
}

interface Row { workload: string; component: string; replicas: string; reqCpu: number; limCpu: number; reqMem: number; limMem: number }

export function footprint(workloads: WorkloadSpec[]): Row[] {
  return workloads.map((w) => {
    const n = w.mode === "per-node" ? 1 : (w.replicas ?? 1);
    return {
      workload: w.name,
      component: w.component,
      replicas: w.mode === "per-node" ? "per node" : String(n),
      reqCpu: n * cpuMillis(w.resources.requests.cpu),
      limCpu: n * cpuMillis(w.resources.limits.cpu),
      reqMem: n * memoryMiB(w.resources.requests.memory),
      limMem: n * memoryMiB(w.resources.limits.memory),
    };
  });
}

function table(title: string, rows: Row[]): void {
  const fmt = (r: { reqCpu: number; limCpu: number; reqMem: number; limMem: number }) =>
    [`${r.reqCpu}m`, `${r.limCpu}m`, `${Math.round(r.reqMem)}Mi`, `${Math.round(r.limMem)}Mi`].map((s) => s.padStart(10)).join("");
  console.log(`\n${title}`);
  console.log(`${"workload".padEnd(24)}${"component".padEnd(14)}${"replicas".padEnd(10)}${["cpu req", "cpu limit", "mem req", "mem limit"].map((s) => s.padStart(10)).join("")}`);
  for (const r of rows) console.log(`${r.workload.padEnd(24)}${r.component.padEnd(14)}${r.replicas.padEnd(10)}${fmt(r)}`);
  const sum = (rs: Row[]) => rs.reduce((a, r) => ({ reqCpu: a.reqCpu + r.reqCpu, limCpu: a.limCpu + r.limCpu, reqMem: a.reqMem + r.reqMem, limMem: a.limMem + r.limMem }), { reqCpu: 0, limCpu: 0, reqMem: 0, limMem: 0 });
  for (const component of [...new Set(rows.map((r) => r.component))].sort()) {
    console.log(`${"= component".padEnd(24)}${component.padEnd(14)}${"".padEnd(10)}${fmt(sum(rows.filter((r) => r.component === component)))}`);
  }
  console.log(`${"= TOTAL".padEnd(48)}${fmt(sum(rows))}`);
}

async function main(): Promise<void> {
  for (const stack of ["dev", "prod"] as const) {
    installMocks({ stack });
    const { ObservabilityStack } = await import("../components/stack/observability-stack");
    const s = new ObservabilityStack(`bench-${stack}`, { config: stackFileRaw(stack) as never, secrets: stackFileSecrets(stack) as never });
    await settle();
    table(`${stack} stack (${s.config.platform}): declared CPU and memory`, footprint(s.workloads));
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
