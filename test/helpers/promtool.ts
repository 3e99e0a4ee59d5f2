import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { SERVICE_ACCOUNT_DIR } from "../../components/render/prometheus";

/** Runs a binary; returns its exit code and combined output. */
export function run(binary: string, args: string[], opts: { cwd?: string; input?: string } = {}): { code: number; output: string } {
  try {
    const output = execFileSync(binary, args, { cwd: opts.cwd, input: opts.input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
    return { code: 0, output };
  } catch (e: any) {
    return { code: e.status ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/**
 * Debian builds Prometheus without Kubernetes service discovery, so its promtool rejects the
 * `kubernetes_sd_configs` key itself. To still check everything else of a Kubernetes config
 * (relabelling, TLS, authorization, alerting, rule files) with the real promtool, each
 * `kubernetes_sd_configs` block is swapped for a `file_sd_configs` one; the swapped blocks are
 * checked separately against upstream's fields (`kubernetesSdProblems`).
 */
export function withKubernetesSdAsFileSd(configText: string): { text: string; sdBlocks: unknown[] } {
  const config = yaml.load(configText) as any;
  const sdBlocks: unknown[] = [];
  const swap = (holder: any) => {
    if (holder?.kubernetes_sd_configs) {
      sdBlocks.push(...holder.kubernetes_sd_configs);
      delete holder.kubernetes_sd_configs;
      holder.file_sd_configs = [{ files: ["kubernetes-sd.json"] }];
    }
  };
  (config.scrape_configs ?? []).forEach(swap);
  (config.alerting?.alertmanagers ?? []).forEach(swap);
  return { text: yaml.dump(config, { lineWidth: -1 }), sdBlocks };
}

/** The fields of upstream's `kubernetes_sd_config` (discovery/kubernetes/kubernetes.go, SDConfig). */
const K8S_SD_FIELDS = new Set(["api_server", "role", "kubeconfig_file", "namespaces", "selectors", "attach_metadata", "basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config", "proxy_url", "follow_redirects", "enable_http2"]);
const K8S_ROLES = new Set(["endpoints", "endpointslice", "service", "pod", "node", "ingress"]);

/** Problems of `kubernetes_sd_configs` blocks against upstream's schema; empty when valid. */
export function kubernetesSdProblems(blocks: unknown[]): string[] {
  const problems: string[] = [];
  blocks.forEach((block: any, i) => {
    for (const key of Object.keys(block)) if (!K8S_SD_FIELDS.has(key)) problems.push(`[${i}] unknown field ${key}`);
    if (!K8S_ROLES.has(block.role)) problems.push(`[${i}] role ${block.role} is not one of ${[...K8S_ROLES].join(", ")}`);
    if (block.namespaces !== undefined) {
      const keys = Object.keys(block.namespaces);
      if (keys.some((k) => k !== "names" && k !== "own_namespace")) problems.push(`[${i}] namespaces has unknown fields ${keys}`);
      if (!Array.isArray(block.namespaces.names ?? [])) problems.push(`[${i}] namespaces.names must be a list`);
    }
    for (const sel of block.selectors ?? []) {
      if (!K8S_ROLES.has(sel.role)) problems.push(`[${i}] selector role ${sel.role} is invalid`);
      // Upstream only allows selectors whose role matches the SD role (or its related roles for endpoints).
      if (block.role === "pod" && sel.role !== "pod") problems.push(`[${i}] a pod SD can only select pods`);
      for (const k of Object.keys(sel)) if (!["role", "label", "field"].includes(k)) problems.push(`[${i}] selector has unknown field ${k}`);
    }
  });
  return problems;
}

/**
 * Writes a rendered Prometheus config with its rule files into a directory laid out as in the
 * container (`prometheus.yml` + `rules/`), points the ServiceAccount paths at stand-in files, and
 * runs Debian's `promtool check config` on it.
 */
export function promtoolCheckConfig(configText: string, ruleFiles: Record<string, string>): { code: number; output: string; sdProblems: string[] } {
  const dir = tempDir("promtool");
  fs.mkdirSync(path.join(dir, "rules"));
  for (const [name, text] of Object.entries(ruleFiles)) fs.writeFileSync(path.join(dir, "rules", name), text);
  fs.mkdirSync(path.join(dir, "serviceaccount"));
  fs.writeFileSync(path.join(dir, "serviceaccount", "token"), "token");
  fs.writeFileSync(path.join(dir, "serviceaccount", "ca.crt"), "ca");
  const { text, sdBlocks } = withKubernetesSdAsFileSd(configText.split(SERVICE_ACCOUNT_DIR).join(path.join(dir, "serviceaccount")));
  fs.writeFileSync(path.join(dir, "prometheus.yml"), text);
  const result = run("promtool", ["check", "config", "prometheus.yml"], { cwd: dir });
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...result, sdProblems: kubernetesSdProblems(sdBlocks) };
}
