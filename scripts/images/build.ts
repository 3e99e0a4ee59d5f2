/**
 * `npm run images`: builds the stand-in images (recipes.ts) with `docker build`, from the
 * toolchain's binaries (`npm run toolchain` first) and Debian packages, into the local Docker
 * engine, tagged under `localhost/stand-in/`. What is built already (same inputs) is skipped.
 * Prints each image, its size and the seconds it took.
 *
 *   npm run images                   build what is missing
 *   npm run images -- --only prometheus,jaeger
 *
 * Needs a Docker engine (`sudo scripts/images/dockerd.sh` starts one) and, for the bases,
 * Debian's apt (busybox-static) and debootstrap (`sudo apt-get install debootstrap`).
 * Exit status: 0 when every image is present, 1 otherwise.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { binDir, cacheBase, Recipe, recipes } from "../toolchain/recipes";
import {
  baseTag, busyboxDockerfile, dockerfile, GROUP, PASSWD, SOCKET_PROXY_ENTRYPOINT, socketProxyDockerfile,
  socketProxyTemplate, StandIn, STAND_IN_REGISTRY, STAND_INS, standInTag,
} from "./recipes";

const ROOT = path.resolve(__dirname, "..", "..");
const HASH_LABEL = "observability.pulumi.com/stand-in-inputs";

const cacheDir = (): string => path.join(cacheBase(), "images");

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${`${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-20).join("\n")}`);
  return r.stdout;
}

/** The inputs hash an image was built from, or undefined when there is no such image. */
function builtHash(tag: string): string | undefined {
  const r = spawnSync("docker", ["image", "inspect", "--format", `{{index .Config.Labels "${HASH_LABEL}"}}`, tag], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Hashes a build context: every file's path, mode and content. */
function hashContext(dir: string): string {
  const h = crypto.createHash("sha256");
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      h.update(`${path.relative(dir, p)}\0${st.mode}\0`);
      if (st.isDirectory()) walk(p);
      else h.update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 16);
}

/** Builds `tag` from a context unless an image with the same inputs exists; returns whether it built. */
function buildContext(tag: string, context: string): boolean {
  const hash = hashContext(context);
  if (builtHash(tag) === hash) return false;
  run("docker", ["build", "--label", `${HASH_LABEL}=${hash}`, "-t", tag, context]);
  return true;
}

/** Runs `fn` in a fresh temporary directory, removed afterwards. */
function inTempDir<T>(name: string, fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `stand-in-${name}-`));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The version apt would install of a Debian package. */
function aptCandidate(pkg: string): string {
  return run("sh", ["-c", `apt-cache policy ${pkg} | awk '/Candidate:/ {print $2}'`]).trim();
}

/** Debian's busybox-static, as a base image with its applets (sh, wget, grep) and the users. */
function busyboxBase(): string {
  const version = aptCandidate("busybox-static");
  if (!version || version === "(none)") throw new Error("busybox-static is not known to apt: run `sudo apt-get update`");
  const safe = version.replace(/[^A-Za-z0-9_.-]/g, "_");
  const tag = baseTag("busybox", safe);
  const cached = path.join(cacheDir(), `busybox-static_${safe}`, "busybox");
  if (!fs.existsSync(cached)) {
    inTempDir("busybox-deb", (dl) => {
      // apt's sandbox user cannot write into a fresh temp dir owned by another user.
      fs.chmodSync(dl, 0o777);
      run("apt-get", ["download", `busybox-static=${version}`], { cwd: dl });
      const deb = fs.readdirSync(dl).find((f) => f.endsWith(".deb"))!;
      run("dpkg-deb", ["-x", path.join(dl, deb), path.join(dl, "x")]);
      fs.mkdirSync(path.dirname(cached), { recursive: true });
      fs.copyFileSync(path.join(dl, "x", "bin", "busybox"), cached);
    });
  }
  inTempDir("busybox", (ctx) => {
    fs.copyFileSync(cached, path.join(ctx, "busybox"));
    fs.chmodSync(path.join(ctx, "busybox"), 0o755);
    fs.writeFileSync(path.join(ctx, "passwd"), PASSWD);
    fs.writeFileSync(path.join(ctx, "group"), GROUP);
    fs.writeFileSync(path.join(ctx, "Dockerfile"), busyboxDockerfile());
    buildContext(tag, ctx);
  });
  return tag;
}

/** A Debian bookworm rootfs with haproxy and wget (upstream's alpine base has busybox's), by debootstrap (minbase), imported as an image. */
function debianBase(): string {
  const haproxy = aptCandidate("haproxy");
  const safe = `bookworm-haproxy-${haproxy.replace(/[^A-Za-z0-9_.-]/g, "_")}-wget`;
  const tag = baseTag("debian", safe);
  if (builtHash(tag) !== undefined) return tag;
  const tar = path.join(cacheDir(), `debian-${safe}.tar`);
  if (!fs.existsSync(tar)) {
    inTempDir("debian-rootfs", (rootfs) => {
      // The mirror apt uses on this machine; debootstrap verifies with Debian's archive keyring.
      const mirror = run("sh", ["-c", "cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -v '^ *#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1"]).trim() || "http://deb.debian.org/debian";
      run("debootstrap", ["--variant=minbase", "bookworm", rootfs, mirror]);
      // haproxy at apt's candidate (security updates included): the host's sources, inside the rootfs.
      run("sh", ["-c", `cp -a /etc/apt/sources.list /etc/apt/sources.list.d '${rootfs}/etc/apt/' 2>/dev/null; true`]);
      run("chroot", [rootfs, "sh", "-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy=${haproxy} wget && apt-get clean`]);
      run("sh", ["-c", `rm -rf '${rootfs}'/var/cache/apt/archives/*.deb '${rootfs}'/var/lib/apt/lists/*`]);
      fs.mkdirSync(path.dirname(tar), { recursive: true });
      run("tar", ["-C", rootfs, "-cf", `${tar}.part`, "."]);
      fs.renameSync(`${tar}.part`, tar);
    });
  }
  run("docker", ["import", "--change", `LABEL ${HASH_LABEL}=${safe}`, tar, tag]);
  return tag;
}

function socketProxy(debian: string): boolean {
  return inTempDir("socket-proxy", (ctx) => {
    fs.writeFileSync(path.join(ctx, "Dockerfile"), socketProxyDockerfile(debian));
    fs.writeFileSync(path.join(ctx, "docker-entrypoint.sh"), SOCKET_PROXY_ENTRYPOINT, { mode: 0o755 });
    fs.writeFileSync(path.join(ctx, "haproxy.cfg.template"), socketProxyTemplate());
    return buildContext(standInTag("dockerSocketProxy"), ctx);
  });
}

/** A stand-in: the toolchain's binaries and the image's files in a context, on its base. */
function standIn(spec: StandIn, toolchain: Recipe[], busybox: () => string): boolean {
  return inTempDir(spec.image, (ctx) => {
    const from = spec.base === "busybox" ? busybox() : "scratch";
    fs.mkdirSync(path.join(ctx, "bin"));
    for (const b of spec.binaries) {
      const recipe = toolchain.find((r) => r.name === b.recipe)!;
      const file = path.join(binDir(recipe), b.binary);
      if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run toolchain -- --only ${b.recipe}\``);
      fs.copyFileSync(file, path.join(ctx, "bin", b.binary));
      fs.chmodSync(path.join(ctx, "bin", b.binary), 0o755);
    }
    for (const f of spec.files ?? []) {
      const dest = path.join(ctx, "files", f.path);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, f.content);
      fs.chmodSync(dest, parseInt(f.mode ?? "0644", 8));
    }
    if (spec.base === "scratch") {
      fs.writeFileSync(path.join(ctx, "passwd"), PASSWD);
      fs.writeFileSync(path.join(ctx, "group"), GROUP);
    }
    fs.writeFileSync(path.join(ctx, "Dockerfile"), dockerfile(spec, from));
    return buildContext(standInTag(spec.image), ctx);
  });
}

function main(): void {
  const onlyArg = process.argv.find((a) => a.startsWith("--only"));
  const only = onlyArg ? (onlyArg.includes("=") ? onlyArg.split("=")[1] : process.argv[process.argv.indexOf(onlyArg) + 1]).split(",") : undefined;
  if (spawnSync("docker", ["info"], { encoding: "utf8" }).status !== 0) {
    console.error("images: no Docker engine answers; start one with `sudo scripts/images/dockerd.sh`");
    process.exit(1);
  }
  const toolchain = recipes(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  let busybox: string | undefined;
  const builds = [
    ...STAND_INS.map((spec) => ({ name: spec.image as string, tag: standInTag(spec.image), build: () => standIn(spec, toolchain, () => (busybox ??= busyboxBase())) })),
    { name: "dockerSocketProxy", tag: standInTag("dockerSocketProxy"), build: () => socketProxy(debianBase()) },
  ].filter((b) => !only || only.includes(b.name));
  let failed = 0;
  for (const b of builds) {
    const started = Date.now();
    try {
      const built = b.build();
      const size = run("docker", ["image", "inspect", "--format", "{{.Size}}", b.tag]).trim();
      console.log(`${b.name.padEnd(22)} ${b.tag.padEnd(72)} ${(Number(size) / 1e6).toFixed(1).padStart(6)} MB  ${built ? `${((Date.now() - started) / 1000).toFixed(1)} s` : "present"}`);
    } catch (e) {
      failed++;
      console.error(`${b.name}: ${(e as Error).message}`);
    }
  }
  console.log(`images: ${builds.length - failed} present, ${failed} failed (registry prefix ${STAND_IN_REGISTRY})`);
  process.exit(failed === 0 ? 0 : 1);
}

if (require.main === module) main();
