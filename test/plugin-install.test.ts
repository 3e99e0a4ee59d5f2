import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { servedSchema, startRunPlugin } from "./helpers/run-plugin";

/**
 * Does the plugin work when Pulumi installs it from a git URL? `pulumi package add
 * github.com/<org>/<repo>/plugin` clones the whole repository and then runs ONLY the plugin
 * directory's install: the Node language host's InstallDependencies runs `npm install
 * --loglevel=error` (no `--ignore-scripts`, no `--production`) in plugin/, npm being the default
 * when plugin/ has no yarn, pnpm or bun lock file and PULUMI_PREFER_YARN is unset. Then RunPlugin resolves
 * `@pulumi/pulumi/cmd/run-plugin` from plugin/ and runs it, with `PULUMI_NODEJS_TYPESCRIPT=true`, in
 * the program's directory. (pulumi/pulumi: sdk/nodejs/npm/npm.go and manager.go,
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go, pkg/workspace/plugins.go.)
 *
 * This test does exactly that on a fresh copy of the repository's files (no node_modules anywhere
 * up the copy's path, so nothing can resolve from this checkout), with `--prefer-offline --no-audit
 * --no-fund` added to use the warm npm cache, and asks the started host for its schema over gRPC.
 * plugin/package.json's postinstall (plugin/install-root.js) is what installs the root's locked
 * dependencies; without it, run-plugin does not resolve from the copy and this test fails.
 */

const ROOT = path.join(__dirname, "..");
const TOKEN = "observability:index:ObservabilityStack";
/** What Pulumi runs in the plugin's directory, plus the flags that use the warm cache. */
const PULUMI_INSTALL = ["install", "--loglevel=error"];
const CACHE_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund"];

/**
 * The environment of a user's shell, as Pulumi passes it on: without what npm (npx jest) and jest
 * put in this process's environment.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|INIT_CWD$|NODE_ENV$|NODE_PATH$|JEST_WORKER_ID$|TS_NODE_)/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** The repository's files as they are in the working tree: tracked ones with their edits, and new ones not ignored. */
function copyRepository(to: string): number {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
    .toString("utf8")
    .split("\0")
    .filter((f) => f && !f.split("/").includes("node_modules") && !f.startsWith("dist/"));
  let copied = 0;
  for (const file of new Set(listed)) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from) || !fs.statSync(from).isFile()) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(from, path.join(to, file));
    copied++;
  }
  return copied;
}

/** Runs a command to its end, with its output. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

/**
 * Where Node resolves a module from a directory, or undefined: asked of a fresh `node`, as the
 * language host's locateModule does (jest's own resolver keeps what it found before the install).
 */
function resolveFrom(dir: string, mod: string): string | undefined {
  const script = `process.stdout.write(require.resolve(${JSON.stringify(mod)}, { paths: [${JSON.stringify(dir)}] }))`;
  try {
    return execFileSync(process.execPath, ["-e", script], { cwd: dir, env: userEnv(), stdio: ["ignore", "pipe", "ignore"] }).toString("utf8");
  } catch {
    return undefined;
  }
}

const isInside = (file: string, dir: string) => !path.relative(dir, file).startsWith("..") && !path.isAbsolute(path.relative(dir, file));

describe("the plugin installed as `pulumi package add <git URL>/plugin` installs it: only `npm install` in plugin/", () => {
  let tmp: string;
  let copy: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "obs-plugin-install-")));
    copy = path.join(tmp, "repo");
    expect(copyRepository(copy)).toBeGreaterThan(100);
  });

  afterAll(() => {
    child?.kill();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("starts from a copy with no node_modules in it or above it: nothing resolves but what the install puts there", () => {
    expect(fs.existsSync(path.join(copy, "plugin", "PulumiPlugin.yaml"))).toBe(true);
    const above: string[] = [];
    for (let dir = copy; ; dir = path.dirname(dir)) {
      if (fs.existsSync(path.join(dir, "node_modules"))) above.push(path.join(dir, "node_modules"));
      if (path.dirname(dir) === dir) break;
    }
    expect(above).toEqual([]);
    expect(resolveFrom(path.join(copy, "plugin"), "@pulumi/pulumi/cmd/run-plugin")).toBeUndefined();
  });

  it("`npm install --loglevel=error` in plugin/ installs the root's locked dependencies, dev ones included, and changes no lock file", async () => {
    const locks = ["package-lock.json", "plugin/package-lock.json"].map((f) => [f, fs.readFileSync(path.join(copy, f), "utf8")]);
    const install = await run("npm", [...PULUMI_INSTALL, ...CACHE_FLAGS], path.join(copy, "plugin"), userEnv());
    expect({ code: install.code, output: install.output }).toEqual({ code: 0, output: expect.any(String) });
    console.log(`npm install in plugin/ of a fresh copy: ${(install.ms / 1000).toFixed(1)} s`);
    expect(locks.map(([f, text]) => [f, fs.readFileSync(path.join(copy, f), "utf8") === text])).toEqual(locks.map(([f]) => [f, true]));

    // Every package of the root's lock, at its version (what the host and the components load).
    const { missingPackages } = require(path.join(copy, "plugin", "install-root.js")) as { missingPackages(): { missing: string[]; total: number } };
    const { missing, total } = missingPackages();
    expect(missing).toEqual([]);
    expect(total).toBeGreaterThan(100);
    // The host's TypeScript and ts-node, and the types it checks the sources with, are the root's
    // (devDependencies): with `--omit=dev`, ts-node stops at TS7016 for js-yaml.
    const sdkManifest = resolveFrom(path.join(copy, "plugin"), "@pulumi/pulumi/package.json");
    expect(sdkManifest && isInside(sdkManifest, path.join(copy, "node_modules"))).toBe(true);
    for (const name of ["typescript", "ts-node", "@types/node", "@types/js-yaml"]) {
      const manifest = resolveFrom(path.dirname(sdkManifest!), `${name}/package.json`);
      expect([name, manifest !== undefined && isInside(manifest, path.join(copy, "node_modules"))]).toEqual([name, true]);
    }
  }, 600000);

  it("then the host, started as the Node language host starts it, loads the plugin from the copy and serves its schema over gRPC", async () => {
    // RunPlugin: resolve run-plugin from the plugin's directory, run it in the program's directory.
    const runPlugin = resolveFrom(path.join(copy, "plugin"), "@pulumi/pulumi/cmd/run-plugin");
    expect(runPlugin && isInside(runPlugin, path.join(copy, "node_modules"))).toBe(true);
    const programDir = path.join(tmp, "program");
    fs.mkdirSync(programDir);
    const started = Date.now();
    const running = await startRunPlugin(runPlugin!, path.join(copy, "plugin"), programDir, userEnv());
    child = running.child;
    console.log(`run-plugin from the copy serving after ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const schema = await servedSchema(running.port);
    expect(schema.name).toBe("observability");
    expect(Object.keys(schema.resources)).toEqual([TOKEN]);
    expect(schema.resources[TOKEN]).toMatchObject({ isComponent: true, requiredInputs: ["config"] });
    expect(Object.keys(schema.resources[TOKEN].inputProperties)).toEqual(["config", "secrets"]);
  }, 300000);

  it("a second `npm install` in plugin/ (or one in a developer's installed checkout) leaves the root's node_modules alone", async () => {
    // `npm ci` would remove node_modules, and this file with it.
    const sentinel = path.join(copy, "node_modules", ".obs-plugin-install-sentinel");
    fs.writeFileSync(sentinel, "");
    const again = await run("npm", [...PULUMI_INSTALL, ...CACHE_FLAGS], path.join(copy, "plugin"), userEnv());
    expect({ code: again.code, output: again.output }).toEqual({ code: 0, output: expect.any(String) });
    expect(fs.existsSync(sentinel)).toBe(true);
    console.log(`second npm install in plugin/: ${(again.ms / 1000).toFixed(1)} s`);
  }, 120000);
});

describe("plugin/install-root.js's environment for the nested npm", () => {
  const { nestedEnv } = require("../plugin/install-root.js") as { nestedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv };

  it("drops npm's lifecycle variables and the config that would change what or where it installs, keeps how to reach the registry", () => {
    const env = nestedEnv({
      PATH: "/usr/bin",
      HOME: "/home/u",
      NODE_ENV: "production",
      INIT_CWD: "/repo/plugin",
      npm_lifecycle_event: "postinstall",
      npm_package_name: "observability",
      npm_execpath: "/usr/lib/node_modules/npm/bin/npm-cli.js",
      npm_config_omit: "dev",
      npm_config_include: "",
      npm_config_production: "true",
      npm_config_global: "true",
      npm_config_prefix: "/usr",
      npm_config_local_prefix: "/repo/plugin",
      npm_config_workspace: "x",
      npm_config_ignore_scripts: "true",
      npm_config_package_lock: "false",
      npm_config_registry: "https://registry.example.com/",
      "npm_config_@acme:registry": "https://npm.acme.example/",
      "npm_config_//npm.acme.example/:_authToken": "t0ken",
      npm_config_cache: "/home/u/.npm",
      npm_config_cafile: "/etc/ssl/ca.pem",
      npm_config_https_proxy: "http://proxy:3128",
      npm_config_prefer_offline: "true",
      npm_config_loglevel: "error",
      npm_config_userconfig: "/home/u/.npmrc",
    });
    expect(Object.keys(env).sort()).toEqual(
      [
        "HOME",
        "NODE_ENV",
        "PATH",
        "npm_config_registry",
        "npm_config_@acme:registry",
        "npm_config_//npm.acme.example/:_authToken",
        "npm_config_cache",
        "npm_config_cafile",
        "npm_config_https_proxy",
        "npm_config_prefer_offline",
        "npm_config_loglevel",
        "npm_config_userconfig",
      ].sort(),
    );
  });
});
