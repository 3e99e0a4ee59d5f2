/**
 * `npm run toolchain`: builds, from Go modules, the upstream binaries the tests run, at exactly
 * the versions the stack pins (see recipes.ts), into a per-version cache outside the repository.
 * What is cached is skipped. Prints each binary, its version and the seconds it took.
 *
 *   npm run toolchain                 build what is missing
 *   npm run toolchain -- --only prometheus,alertmanager
 *   npm run toolchain -- --list       print the recipes and cache paths, build nothing
 *
 * Each recipe is built in a wrapper module of its own (`<cache>/src/<name>/<version>`): one
 * wrapper per binary, so version selection for one never raises a dependency of another.
 * Exit status: 0 when every recipe is built (or was cached), 1 otherwise.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { binDir, cacheRoot, Recipe, recipes, shareDir, unobtainable } from "./recipes";

const ROOT = path.resolve(__dirname, "..", "..");

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Static binaries: they also run in the scratch/busybox images built from them.
    CGO_ENABLED: "0",
    GOFLAGS: "-mod=mod -buildvcs=false",
    // The installed Go (1.26) builds every pinned module; never fetch another toolchain silently.
    GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "local",
  };
}

function go(args: string[], cwd: string, log: fs.WriteStream): void {
  log.write(`$ go ${args.join(" ")}\n`);
  const r = spawnSync("go", args, { cwd, env: goEnv(), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  log.write(r.stdout ?? "");
  log.write(r.stderr ?? "");
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-25).join("\n");
    throw new Error(`go ${args.join(" ")} failed (exit ${r.status}):\n${tail}`);
  }
}

/** The binaries of a recipe are all present and report the pinned version. */
export function isBuilt(recipe: Recipe): boolean {
  const dir = binDir(recipe);
  if (!recipe.packages.every((p) => fs.existsSync(path.join(dir, p.out)))) return false;
  if (recipe.dataFiles && !recipe.dataFiles.files.every((f) => fs.existsSync(path.join(shareDir(recipe), path.basename(f))))) return false;
  // A main of ours that changed (a component added) means a rebuild at the same version.
  if (recipe.mainGo) {
    const built = path.join(cacheRoot(), "src", recipe.name, recipe.version, "main.go");
    if (!fs.existsSync(built) || fs.readFileSync(built, "utf8") !== recipe.mainGo) return false;
  }
  return versionMatches(recipe).ok;
}

export function versionMatches(recipe: Recipe): { ok: boolean; output: string } {
  const bin = path.join(binDir(recipe), recipe.versionCheck.binary);
  const r = spawnSync(bin, recipe.versionCheck.args, { encoding: "utf8", timeout: 30000 });
  const output = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  return { ok: r.status === 0 && output.includes(recipe.versionCheck.expect), output };
}

/** The module cache's folder of `module@version` (downloaded if need be), from the wrapper module `src`. */
function moduleDir(module: string, version: string, src: string): string {
  return JSON.parse(execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], { cwd: src, env: goEnv(), encoding: "utf8" })).Dir as string;
}

/** Copies a recipe's data files from the module cache into its `share/`. */
function copyDataFiles(recipe: Recipe, src: string): void {
  if (!recipe.dataFiles) return;
  const { module, files } = recipe.dataFiles;
  const dir = moduleDir(module, recipe.require[module], src);
  const share = shareDir(recipe);
  fs.mkdirSync(share, { recursive: true });
  for (const f of files) fs.copyFileSync(path.join(dir, f), path.join(share, path.basename(f)));
}

function build(recipe: Recipe): void {
  const src = path.join(cacheRoot(), "src", recipe.name, recipe.version);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  const log = fs.createWriteStream(path.join(src, "build.log"));
  try {
    go(["mod", "init", `pulumi-observability.toolchain/${recipe.name}`], src, log);
    for (const [from, to] of Object.entries(recipe.replace ?? {})) go(["mod", "edit", `-replace=${from}=${to}`], src, log);
    for (const [module, files] of Object.entries(recipe.addFiles ?? {})) {
      // A writable copy of the module from the module cache, with our files added, replacing it.
      const version = recipe.require[module];
      const dir = moduleDir(module, version, src);
      const copy = path.join(src, "upstream", path.basename(module));
      fs.cpSync(dir, copy, { recursive: true });
      chmodWritable(copy);
      for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
        fs.writeFileSync(path.join(copy, file), text);
      }
      go(["mod", "edit", `-replace=${module}=./${path.relative(src, copy)}`], src, log);
    }
    if (recipe.mainGo) {
      fs.writeFileSync(path.join(src, "main.go"), recipe.mainGo);
      go(["get", ...Object.entries(recipe.require).map(([m, v]) => `${m}@${v}`)], src, log);
      go(["mod", "tidy"], src, log);
    } else {
      // The modules at their exact versions first, then the packages as tools of this wrapper. (A
      // `go get -tool pkg@version` asks the proxy for every prefix of pkg as a module, and this
      // proxy answers 403, not 404, for the ones that are not modules.)
      go(["get", ...Object.entries(recipe.require).map(([m, v]) => `${m}@${v}`)], src, log);
      for (const p of recipe.packages) go(["mod", "edit", `-tool=${p.pkg}`], src, log);
    }
    const ldflags = ["-s", "-w", ...Object.entries(recipe.versionVars ?? {}).map(([k, v]) => `-X ${k}=${v}`)].join(" ");
    const out = binDir(recipe);
    fs.mkdirSync(out, { recursive: true });
    for (const p of recipe.packages) {
      const args = ["build", "-trimpath", `-ldflags=${ldflags}`, "-o", path.join(out, p.out)];
      if (recipe.tags?.length) args.push(`-tags=${recipe.tags.join(",")}`);
      go([...args, p.pkg], src, log);
    }
    copyDataFiles(recipe, src);
  } finally {
    log.end();
  }
}

function chmodWritable(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chmodWritable(p);
    else fs.chmodSync(p, 0o644);
  }
}

function probe(module: string): string {
  const r = spawnSync("go", ["mod", "download", "-json", module], { cwd: cacheRoot(), env: goEnv(), encoding: "utf8" });
  try {
    const j = JSON.parse(r.stdout) as { Error?: string };
    return j.Error ? j.Error.split("\n")[0] : "served";
  } catch {
    return (r.stderr || r.stdout).trim().split("\n")[0];
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const lock = fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8");
  const all = recipes(lock);
  const onlyArg = args.indexOf("--only");
  const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(",")) : undefined;
  const selected = all.filter((r) => !only || only.has(r.name));
  if (only) for (const n of only) if (!all.some((r) => r.name === n)) throw new Error(`--only: no recipe named ${n}; recipes: ${all.map((r) => r.name).join(", ")}`);

  if (args.includes("--list")) {
    for (const r of all) console.log(`${r.name.padEnd(20)} ${r.version.padEnd(10)} ${binDir(r)}  (${r.pinnedBy})`);
    return;
  }

  fs.mkdirSync(cacheRoot(), { recursive: true });
  const goVersion = execFileSync("go", ["version"], { encoding: "utf8", env: goEnv() }).trim();
  console.log(`toolchain: ${goVersion}; cache ${cacheRoot()}`);
  const started = Date.now();
  let failed = 0;
  for (const r of selected) {
    const t0 = Date.now();
    if (isBuilt(r)) {
      console.log(`  ${r.name.padEnd(20)} ${r.version.padEnd(10)} cached   ${((Date.now() - t0) / 1000).toFixed(1)} s  ${r.packages.map((p) => p.out).join(", ")}`);
      continue;
    }
    try {
      build(r);
      const check = versionMatches(r);
      if (!check.ok) throw new Error(`built, but \`${r.versionCheck.binary} ${r.versionCheck.args.join(" ")}\` does not report ${r.versionCheck.expect}:\n${check.output.slice(0, 500)}`);
      const seconds = (Date.now() - t0) / 1000;
      fs.writeFileSync(path.join(binDir(r), "..", "build.json"), JSON.stringify({ name: r.name, version: r.version, seconds, require: r.require, go: goVersion }, null, 2));
      console.log(`  ${r.name.padEnd(20)} ${r.version.padEnd(10)} built    ${seconds.toFixed(1)} s  ${r.packages.map((p) => p.out).join(", ")}`);
    } catch (e) {
      failed++;
      console.log(`  ${r.name.padEnd(20)} ${r.version.padEnd(10)} FAILED   ${((Date.now() - t0) / 1000).toFixed(1)} s\n${String((e as Error).message).replace(/^/gm, "      ")}`);
    }
  }
  if (!only) {
    for (const u of unobtainable(lock)) {
      console.log(`  ${u.name.padEnd(26)} ${u.version.padEnd(10)} not built: ${u.why}\n      go mod download ${u.module}: ${probe(u.module)}`);
    }
  }
  console.log(`toolchain: ${selected.length - failed} of ${selected.length} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failed ? 1 : 0);
}

if (require.main === module) main();
