import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { binDir, recipes, Recipe } from "../../scripts/toolchain/recipes";

/**
 * Real-process tests run the upstream binaries at the versions the stack pins, built by
 * `npm run toolchain` into a per-version cache (scripts/toolchain/). A binary of the toolchain
 * is looked up only there, at the pinned version's path: never on PATH, so a Debian
 * Prometheus can never stand in for the pinned one. Other binaries (PostgreSQL, Redis, openssl)
 * come from PATH.
 *
 * On a laptop without them a suite is skipped with the command that provides them; in CI
 * (`CI=true`) a missing binary is a failure.
 */

const ROOT = path.resolve(__dirname, "..", "..");

let cached: Recipe[] | undefined;
function allRecipes(): Recipe[] {
  cached ??= recipes(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  return cached;
}

/** The toolchain recipe that builds `binary`, if it is one of the toolchain's. */
export function recipeOf(binary: string): Recipe | undefined {
  return allRecipes().find((r) => r.packages.some((p) => p.out === binary));
}

/** The absolute path of a binary: a toolchain binary at its pinned version, anything else on PATH. */
export function which(binary: string): string | undefined {
  const recipe = recipeOf(binary);
  if (recipe) {
    const file = path.join(binDir(recipe), binary);
    return fs.existsSync(file) ? file : undefined;
  }
  try {
    return execFileSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The path to run `binary` by; throws with what provides it when it is missing. */
export function bin(binary: string): string {
  const file = which(binary);
  if (!file) throw new Error(`${binary} is missing: ${provider([binary])}`);
  return file;
}

/** Returns the missing binaries among `binaries`. */
export function missing(binaries: string[]): string[] {
  return binaries.filter((b) => which(b) === undefined);
}

/** The commands that provide `binaries`: the toolchain for ours, apt for the rest. */
export function provider(binaries: string[]): string {
  const recipeNames = [...new Set(binaries.map(recipeOf).filter((r): r is Recipe => r !== undefined).map((r) => r.name))];
  const others = binaries.filter((b) => !recipeOf(b));
  const APT: Record<string, string> = { "redis-server": "redis-server", "redis-cli": "redis-tools", openssl: "openssl", initdb: "postgresql", pg_ctl: "postgresql", postgres: "postgresql" };
  const parts: string[] = [];
  if (recipeNames.length) parts.push(`npm run toolchain -- --only ${recipeNames.join(",")}`);
  if (others.length) parts.push(`apt-get install ${[...new Set(others.map((b) => APT[b] ?? b))].join(" ")}`);
  return parts.join("; ");
}

/**
 * `describe` when every binary is present; in CI a missing one fails loudly; elsewhere the suite
 * is reported as skipped with the command that provides the binaries.
 */
export function describeWithBinaries(title: string, binaries: string[], fn: () => void): void {
  const absent = missing(binaries);
  describeWhenReady(title, absent.length === 0 ? undefined : `${title}: needs ${absent.join(", ")} (${provider(absent)})`, "has the binaries it needs", fn);
}

/**
 * `describe` when nothing is missing (`missingMessage` undefined); in CI a missing piece fails
 * loudly, as a test named `ciTitle`; elsewhere the suite is reported as skipped with the message,
 * which says the command that provides what is missing.
 */
export function describeWhenReady(title: string, missingMessage: string | undefined, ciTitle: string, fn: () => void): void {
  if (missingMessage === undefined) {
    describe(title, fn);
    return;
  }
  if (process.env.CI === "true") {
    describe(title, () => {
      it(ciTitle, () => {
        throw new Error(`missing in CI: ${missingMessage}`);
      });
    });
    return;
  }
  // A contributor's machine without them: reported as skipped, with the command that provides them.
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED ${missingMessage}`);
  const skipped = describe.skip;
  skipped(title, fn);
}
