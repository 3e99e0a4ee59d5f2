/**
 * `npm run bench:deploy`: the Docker stack of the deploy test (metrics, alerting, tracing; test/helpers/docker-stack.ts)
 * deployed on this machine's Docker engine from the stand-in images, timed, then left running and
 * scraping itself while each container's memory and CPU (`docker stats`) are sampled, printed
 * beside its declared request and limit.
 *
 * Phases timed: the program under the mock engine (what a `pulumi preview` spends in the program;
 * the engine and the docker provider cannot run here: see the README), up from nothing to every
 * container healthy (images present), up again after destroy (volumes present), destroy. Goals:
 * up to all-healthy under 90 s; every container's memory under its declared request.
 *
 * Then the Kubernetes control plane's phases, as its deploy test measures them (`--no-kubernetes`
 * skips them).
 *
 * Options: `--minutes 10` (how long the stack runs before the figures), `--interval 30` (seconds
 * between `docker stats` samples). Needs what `npm run test:deploy` needs (a Docker engine,
 * `npm run toolchain`, `npm run images`).
 */
import { spawnSync } from "child_process";
import { captureProgram } from "../test/helpers/capture-program";
import { applyDockerResources, destroyDockerResources, waitHealthy } from "../test/helpers/docker-apply";
import { dockerAnswers, missingImages } from "../test/helpers/docker-engine";
import { busyboxImage, cleanUpStack, createShopApp, removeShopApp, stackConfig, STACK_IMAGES } from "../test/helpers/docker-stack";
import { freePorts } from "../test/helpers/tracing";
import { standInTag } from "../scripts/images/recipes";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = arg("minutes", 10);
const INTERVAL_S = arg("interval", 30);
const STACK = "bench";
const PREFIX = `obs-${STACK}`;
const UP_GOAL_S = 90;

const secondsSince = (t: number) => (Date.now() - t) / 1000;

/** `12.5MiB` / `1.2GiB` / `512KiB` / `0B` -> MiB. */
function mib(text: string): number {
  const m = /^([\d.]+)\s*([KMGT]?i?B)$/.exec(text.trim());
  if (!m) throw new Error(`unparsed size ${text}`);
  const unit: Record<string, number> = { B: 1 / 1048576, KiB: 1 / 1024, kB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024, TiB: 1048576 };
  return Number(m[1]) * (unit[m[2]] ?? NaN);
}

function stats(): Map<string, { cpuPercent: number; memMiB: number }> {
  const r = spawnSync("docker", ["stats", "--no-stream", "--format", "{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}"], { encoding: "utf8" });
  const out = new Map<string, { cpuPercent: number; memMiB: number }>();
  for (const line of r.stdout.trim().split("\n")) {
    const [name, cpu, mem] = line.split("\t");
    if (!name?.startsWith(`${PREFIX}-`)) continue;
    out.set(name, { cpuPercent: Number(cpu.replace("%", "")), memMiB: mib(mem.split("/")[0]) });
  }
  return out;
}

async function main(): Promise<void> {
  if (!dockerAnswers()) throw new Error("no Docker engine answers: sudo scripts/images/dockerd.sh");
  const absent = missingImages([...STACK_IMAGES.map(standInTag), busyboxImage()].filter((x) => x !== ""));
  if (absent.length > 0 || busyboxImage() === "") throw new Error(`missing images ${absent.join(", ")}: npm run toolchain && npm run images`);
  await cleanUpStack(PREFIX);
  const [prometheus, alertmanager, otlpGrpc, otlpHttp, query] = await freePorts(5);
  let t = Date.now();
  // The webhooks point at a closed port of the host: the bench measures the stack, not delivery.
  const { config, secretKeys } = stackConfig({ stack: STACK, ports: { prometheus, alertmanager, otlpGrpc, otlpHttp, query }, receiverUrl: "http://127.0.0.1:9", canary: "bench", scrapeInterval: "15s" });
  const resources = captureProgram(STACK, config, secretKeys);
  const program = secondsSince(t);

  const app = () => createShopApp(PREFIX);
  t = Date.now();
  let applied = await applyDockerResources(resources, { afterNetworks: app });
  await waitHealthy(applied, 300000);
  const up = secondsSince(t);

  t = Date.now();
  await removeShopApp(PREFIX);
  await destroyDockerResources(applied);
  const destroy = secondsSince(t);

  t = Date.now();
  applied = await applyDockerResources(resources, { afterNetworks: app });
  await waitHealthy(applied, 300000);
  const upAgain = secondsSince(t);

  console.log("Docker stack (metrics, alerting, tracing; stand-in images present):");
  console.log(`  program under the mock engine   ${program.toFixed(1)} s   (the engine and providers cannot run here)`);
  console.log(`  up, nothing to all-healthy      ${up.toFixed(1)} s   goal < ${UP_GOAL_S} s: ${up < UP_GOAL_S ? "met" : "MISSED"}`);
  console.log(`  destroy                         ${destroy.toFixed(1)} s`);
  console.log(`  up again (volumes kept)         ${upAgain.toFixed(1)} s`);

  const declared = new Map(
    resources
      .filter((r) => r.type === "docker:index/container:Container")
      .map((r) => [r.inputs.name as string, { requestMiB: r.inputs.memoryReservation as number, limitMiB: r.inputs.memory as number, cpuRequest: (r.inputs.cpuShares as number) / 1024, cpuLimit: Number(r.inputs.cpus) }]),
  );
  const samples = new Map<string, { cpu: number[]; mem: number[] }>();
  const end = Date.now() + MINUTES * 60000;
  console.log(`\nrunning ${MINUTES} min, sampling docker stats every ${INTERVAL_S} s ...`);
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(INTERVAL_S * 1000, Math.max(0, end - Date.now()))));
    for (const [name, s] of stats()) {
      const entry = samples.get(name) ?? { cpu: [], mem: [] };
      entry.cpu.push(s.cpuPercent);
      entry.mem.push(s.memMiB);
      samples.set(name, entry);
    }
  }
  console.log(`\n${"container".padEnd(30)} ${"mem max".padStart(9)} ${"request".padStart(9)} ${"limit".padStart(9)}  ${"cpu avg".padStart(8)} ${"cpu max".padStart(8)} ${"request".padStart(8)} ${"limit".padStart(6)}  memory under request`);
  let over = 0;
  for (const [name, d] of [...declared].sort()) {
    const s = samples.get(name);
    if (!s) continue;
    const memMax = Math.max(...s.mem);
    const cpuAvg = s.cpu.reduce((a, b) => a + b, 0) / s.cpu.length;
    const ok = memMax < d.requestMiB;
    if (!ok) over++;
    console.log(
      `${name.padEnd(30)} ${`${memMax.toFixed(1)}Mi`.padStart(9)} ${`${d.requestMiB}Mi`.padStart(9)} ${`${d.limitMiB}Mi`.padStart(9)}  ${`${cpuAvg.toFixed(2)}%`.padStart(8)} ${`${Math.max(...s.cpu).toFixed(2)}%`.padStart(8)} ${`${(d.cpuRequest * 100).toFixed(0)}%`.padStart(8)} ${`${(d.cpuLimit * 100).toFixed(0)}%`.padStart(6)}  ${ok ? "yes" : "NO"}`,
    );
  }
  console.log(`\n${over === 0 ? "every container's memory stayed under its request" : `${over} container(s) above their memory request`} (CPU as docker stats reports it: 100% = one core)`);
  await removeShopApp(PREFIX);
  await destroyDockerResources(applied, { removeVolumes: true });
}

/**
 * The control plane's figures, as the Kubernetes deploy test measures them: start, apply (as a
 * `pulumi up` of the prod stack would send its objects), ready, a second apply, deletion.
 */
function kubernetesPhases(): void {
  console.log("\nKubernetes control plane (the prod stack's objects; test/deploy/e2e-kubernetes.test.ts):");
  const r = spawnSync("npx", ["jest", "-c", "jest.deploy.config.js", "test/deploy/e2e-kubernetes.test.ts"], { encoding: "utf8", env: { ...process.env, CI: process.env.CI ?? "" } });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  const phases = /e2e-kubernetes, (\d+) objects; phases \(s\): (.*)/.exec(out);
  if (r.status !== 0 || !phases) {
    console.log(`  the deploy test did not pass; its output:\n${out.split("\n").slice(-40).join("\n")}`);
    process.exitCode = 1;
    return;
  }
  console.log(`  ${phases[1]} objects; ${phases[2]}`);
}

main()
  .then(() => {
    if (!process.argv.includes("--no-kubernetes")) kubernetesPhases();
  })
  .catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
