import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SERVICE_ACCOUNT_DIR } from "../../components/metrics/prometheus-config";
import { bin, recipeOf } from "./binaries";

/**
 * Runs a binary; returns its exit code and combined output. A binary of the toolchain (promtool,
 * amtool, the exporters) is run at its pinned version's path (`bin()`), never from PATH; any other
 * binary is run as named.
 */
export function run(binary: string, args: string[], opts: { cwd?: string; input?: string } = {}): { code: number; output: string } {
  const command = recipeOf(binary) ? bin(binary) : binary;
  try {
    const output = execFileSync(command, args, { cwd: opts.cwd, input: opts.input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
    return { code: 0, output };
  } catch (e: any) {
    return { code: e.status ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/**
 * Writes a rendered Prometheus config with its rule files into a directory laid out as in the
 * container (`prometheus.yml` + `rules/`), points the ServiceAccount paths at stand-in files, and
 * runs the pinned `promtool check config` on it: `kubernetes_sd_configs` blocks included, which
 * the pinned Prometheus parses and validates (roles, selectors, namespaces) like any other field.
 */
export function promtoolCheckConfig(configText: string, ruleFiles: Record<string, string>): { code: number; output: string } {
  const dir = tempDir("promtool");
  fs.mkdirSync(path.join(dir, "rules"));
  for (const [name, text] of Object.entries(ruleFiles)) fs.writeFileSync(path.join(dir, "rules", name), text);
  fs.mkdirSync(path.join(dir, "serviceaccount"));
  fs.writeFileSync(path.join(dir, "serviceaccount", "token"), "token");
  fs.writeFileSync(path.join(dir, "serviceaccount", "ca.crt"), "ca");
  fs.writeFileSync(path.join(dir, "prometheus.yml"), configText.split(SERVICE_ACCOUNT_DIR).join(path.join(dir, "serviceaccount")));
  const result = run("promtool", ["check", "config", "prometheus.yml"], { cwd: dir });
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}
