#!/usr/bin/env node
/**
 * plugin/package.json's `postinstall`: installs the REPOSITORY's locked dependencies (the root's
 * package-lock.json), which the plugin runs on.
 *
 * The plugin has no dependencies of its own: index.ts imports the components' TypeScript sources
 * from ../components, and those resolve `@pulumi/pulumi`, zod, js-yaml, ... from the root's
 * node_modules. Pulumi installs a source-based Node.js plugin by running `npm install
 * --loglevel=error` in the plugin's directory only (the Node language host's InstallDependencies,
 * after `pulumi package add github.com/<org>/<repo>/plugin` clones the whole repository), without
 * `--ignore-scripts`; this script is how that install reaches the root.
 *
 * - A checkout whose root is installed (`npm ci` at the root): every package of the root's lock is
 *   in node_modules at its locked version, and this does nothing.
 * - Otherwise: `npm ci --include=dev` at the root. Dev dependencies too: Pulumi's Node host compiles
 *   the TypeScript sources at each start with the `typescript` and `ts-node` it resolves from
 *   `@pulumi/pulumi` (root devDependencies), type-checking them, and their types come from
 *   devDependencies as well (`@types/js-yaml`: without it ts-node stops at TS7016 in
 *   components/metrics/prometheus-config.ts).
 *
 * The nested npm runs with npm's lifecycle variables removed: npm exports its config to scripts as
 * `npm_config_*` (`omit`, `include`, `production`, `global`, `prefix`, `workspace`, ... set for the
 * plugin's install), and a nested npm would read them as its own. Only how to reach the registry
 * (registry, auth, proxy, TLS, cache, offline preferences) and log settings are kept.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const LOCK = path.join(ROOT, "package-lock.json");
const PREFIX = "observability plugin:";

/** npm config a nested install keeps: the registry and how to reach it, the cache, logging. */
const KEPT_CONFIG =
  /^npm_config_(registry|.+:registry|_auth|.*:_auth.*|.*_authtoken|always_auth|ca|cafile|cert|key|strict_ssl|proxy|https_proxy|noproxy|local_address|maxsockets|fetch_.+|cache|offline|prefer_offline|prefer_online|userconfig|globalconfig|loglevel|color|progress|unicode|audit|fund|update_notifier|node_gyp|nodedir|script_shell)$/i;

/** The environment for the nested npm: no npm_* variable but the kept config. */
function nestedEnv(env) {
  const out = {};
  for (const [key, value] of Object.entries(env)) {
    if (/^npm_/i.test(key) && !KEPT_CONFIG.test(key)) continue;
    if (key === "INIT_CWD") continue;
    out[key] = value;
  }
  return out;
}

/** A package.json's version as the lock writes it (`v0.0.21` is locked as `0.0.21`). */
const normalize = (version) => String(version ?? "").replace(/^[v=]+/, "");

/**
 * The packages of the root's lock that are not in node_modules at their locked version. Optional
 * ones are skipped (platform-specific builds are locked for every platform, installed for one).
 */
function missingPackages() {
  const lock = JSON.parse(fs.readFileSync(LOCK, "utf8"));
  const missing = [];
  let total = 0;
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key.startsWith("node_modules/") || entry.optional || entry.link) continue;
    total++;
    let installed;
    try {
      installed = JSON.parse(fs.readFileSync(path.join(ROOT, key, "package.json"), "utf8")).version;
    } catch {
      installed = undefined;
    }
    if (normalize(installed) !== normalize(entry.version)) {
      missing.push(`${key.replace(/^.*node_modules\//, "")}@${entry.version}${installed === undefined ? "" : ` (found ${installed})`}`);
    }
  }
  return { missing, total };
}

/** How to run npm: the npm running this script when it is npm (yarn or pnpm may be), else npm from PATH. */
function npmCommand() {
  const execpath = process.env.npm_execpath;
  if (execpath && /npm-cli\.c?js$/.test(path.basename(execpath)) && fs.existsSync(execpath)) {
    return { command: process.execPath, prefix: [execpath], shell: false };
  }
  return { command: process.platform === "win32" ? "npm.cmd" : "npm", prefix: [], shell: process.platform === "win32" };
}

function main() {
  if (!fs.existsSync(LOCK)) {
    console.error(`${PREFIX} ${LOCK} is missing: the plugin runs on the repository's locked dependencies.`);
    return 1;
  }
  const before = missingPackages();
  if (before.missing.length === 0) {
    console.log(`${PREFIX} the repository's ${before.total} locked packages are installed in ${path.join(ROOT, "node_modules")}`);
    return 0;
  }

  const args = ["ci", "--include=dev", "--no-audit", "--no-fund"];
  const shown = before.missing.slice(0, 3).join(", ") + (before.missing.length > 3 ? ", ..." : "");
  console.log(`${PREFIX} ${before.missing.length} of the repository's ${before.total} locked packages are not installed (${shown});`);
  console.log(`${PREFIX} running \`npm ${args.join(" ")}\` in ${ROOT}`);
  const npm = npmCommand();
  const result = spawnSync(npm.command, [...npm.prefix, ...args], { cwd: ROOT, env: nestedEnv(process.env), stdio: "inherit", shell: npm.shell });
  if (result.error || result.status !== 0) {
    console.error(`${PREFIX} \`npm ${args.join(" ")}\` in ${ROOT} failed: ${result.error ? result.error.message : `exit code ${result.status}`}`);
    return 1;
  }

  const after = missingPackages();
  if (after.missing.length > 0) {
    console.error(`${PREFIX} after \`npm ${args.join(" ")}\`, still not installed: ${after.missing.join(", ")}`);
    return 1;
  }
  console.log(`${PREFIX} installed the repository's ${after.total} locked packages in ${path.join(ROOT, "node_modules")}`);
  return 0;
}

if (require.main === module) {
  process.exitCode = main();
}

module.exports = { missingPackages, nestedEnv };
