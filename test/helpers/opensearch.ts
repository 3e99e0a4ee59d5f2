import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { isAssembled, opensearchHomeDir, opensearchJavaHome } from "../../scripts/toolchain/opensearch";
import { freePort } from "./processes";

/**
 * A real OpenSearch node for the tests, at the release `images.opensearch` pins, assembled from
 * Maven Central by `npm run toolchain:opensearch` (scripts/toolchain/opensearch.ts): the server,
 * the netty transport module and the security plugin. Started from the rendered opensearch.yml
 * and security files; only what a test must change is merged over the rendered yml (loopback,
 * free ports, temp data and log paths).
 *
 * The node refuses to run as root (as upstream's image, it runs as uid 1000): under root the
 * helper hard-links the assembled home into a temp dir uid 1000 can reach and drops to that uid
 * with setpriv.
 */

/** The image's opensearch user. */
export const OPENSEARCH_UID = 1000;
const KEEP_LINES = 5000;

/** The assembled node's home, or undefined when `npm run toolchain:opensearch` has not run. */
export function opensearchHome(): string | undefined {
  const home = opensearchHomeDir();
  return isAssembled(home) ? home : undefined;
}

/** Why the node cannot run here (with the command that fixes it), or undefined. */
export function opensearchMissing(): string | undefined {
  if (!fs.existsSync(path.join(opensearchJavaHome(), "bin", "java"))) return `no Java 21+ at ${opensearchJavaHome()} (set OPENSEARCH_JAVA_HOME)`;
  if (!opensearchHome()) return `no OpenSearch node at ${opensearchHomeDir()} (npm run toolchain:opensearch)`;
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
  } catch {
    return "no openssl (apt-get install openssl)";
  }
  return undefined;
}

/** `CN=a,O=b` (RFC 2253, most specific first) as openssl's `-subj` (`/O=b/CN=a`), which lists it the other way round. */
export function dnToSubj(dn: string): string {
  return "/" + dn.split(",").map((p) => p.trim()).reverse().join("/");
}

/**
 * A CA, a node certificate (SANs localhost, 127.0.0.1 and `nodeNames`; server and client auth, as
 * transport TLS needs both) and an admin certificate (client auth), by the file names
 * OPENSEARCH_CERT_DIR holds. Keys are PKCS#8, which the security plugin requires. This stands in
 * for what the deploy does with @pulumi/tls.
 */
export function generateCerts(opts: { nodeDn: string; adminDn: string; nodeNames?: string[] }): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "opensearch-certs-"));
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  try {
    ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "root-ca-key.pem");
    ssl("req", "-x509", "-new", "-key", "root-ca-key.pem", "-sha256", "-days", "30", "-subj", "/O=pulumi-observability/CN=test-root-ca", "-out", "root-ca.pem",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    const leaf = (name: string, dn: string, ext: string) => {
      ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", `${name}-key.pem`);
      ssl("req", "-new", "-key", `${name}-key.pem`, "-subj", dnToSubj(dn), "-out", `${name}.csr`);
      fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
      ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "root-ca.pem", "-CAkey", "root-ca-key.pem", "-CAcreateserial", "-sha256", "-days", "30", "-extfile", `${name}.ext`, "-out", `${name}.pem`);
    };
    const sans = ["DNS:localhost", "IP:127.0.0.1", ...(opts.nodeNames ?? ["opensearch"]).map((n) => `DNS:${n}`)].join(",");
    leaf("node", opts.nodeDn, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${sans}\n`);
    leaf("admin", opts.adminDn, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
    return Object.fromEntries(["root-ca.pem", "node.pem", "node-key.pem", "admin.pem", "admin-key.pem"].map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface OpenSearchNode {
  /** `https://127.0.0.1:<port>` */
  url: string;
  httpPort: number;
  pid: number;
  /** Milliseconds from spawning the JVM to the HTTPS port answering with the security plugin initialised. */
  startedMs: number;
  /** The node's config dir (rendered yml, security files, certs). */
  configDir: string;
  stop(): Promise<void>;
  /** The node's output so far (its log4j console appender). */
  logs(): string;
  /** The JVM's resident set size in MiB, from /proc. */
  rssMiB(): number | undefined;
}

/** An HTTPS request to the node, verifying its certificate against `ca`. */
export function request(
  url: string,
  opts: { ca: string; method?: string; auth?: { user: string; password: string }; body?: unknown; contentType?: string; timeoutMs?: number },
): Promise<{ status: number; body: string; json: () => any }> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString("base64")}`;
    const req = https.request(url, { method: opts.method ?? "GET", ca: opts.ca, headers, timeout: opts.timeoutMs ?? 30000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** The flags of the assembled home's config/jvm.options (comments and blank lines dropped). */
function jvmOptions(home: string): string[] {
  return fs
    .readFileSync(path.join(home, "config", "jvm.options"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

/**
 * Starts a node from a rendered opensearch.yml, security files and certificates. The yml is the
 * rendered one with only network.host (127.0.0.1), the ports and path.data/path.logs replaced.
 */
export async function startOpenSearch(opts: {
  configYml: string;
  securityFiles: Record<string, string>;
  certs: Record<string, string>;
  port?: number;
  heap?: string;
  timeoutMs?: number;
}): Promise<OpenSearchNode> {
  const assembled = opensearchHome();
  if (!assembled) throw new Error(`OpenSearch is not assembled: ${opensearchMissing()}`);
  const asRoot = process.getuid?.() === 0;
  const run = fs.mkdtempSync(path.join(os.tmpdir(), "opensearch-node-"));
  fs.chmodSync(run, 0o755);
  let home = assembled;
  if (asRoot) {
    // The cache sits under /root (0700): uid 1000 reaches the same files through hard links.
    home = path.join(run, "home");
    execFileSync("cp", ["-al", assembled, home]);
  }
  const configDir = path.join(run, "config");
  const dirs = { data: path.join(run, "data"), logs: path.join(run, "logs"), tmp: path.join(run, "tmp") };
  for (const d of [configDir, ...Object.values(dirs), path.join(configDir, "certs"), path.join(configDir, "opensearch-security")]) fs.mkdirSync(d, { recursive: true });

  const httpPort = opts.port ?? (await freePort());
  const transportPort = await freePort();
  const rendered = yaml.load(opts.configYml) as Record<string, unknown>;
  const config = { ...rendered, "network.host": "127.0.0.1", "http.port": httpPort, "transport.port": transportPort, "path.data": dirs.data, "path.logs": dirs.logs };
  fs.writeFileSync(path.join(configDir, "opensearch.yml"), yaml.dump(config, { lineWidth: -1 }));
  fs.copyFileSync(path.join(home, "config", "log4j2.properties"), path.join(configDir, "log4j2.properties"));
  for (const [name, text] of Object.entries(opts.securityFiles)) fs.writeFileSync(path.join(configDir, "opensearch-security", name), text);
  for (const [name, text] of Object.entries(opts.certs)) fs.writeFileSync(path.join(configDir, "certs", name), text, { mode: name.endsWith("-key.pem") ? 0o600 : 0o644 });
  // The security plugin warns about a config dir others can read (it holds keys and hashes): 0700/0600, as a deploy should mount it.
  execFileSync("chmod", ["-R", "u=rwX,go=", configDir]);
  if (asRoot) execFileSync("chown", ["-R", `${OPENSEARCH_UID}:${OPENSEARCH_UID}`, configDir, ...Object.values(dirs)]);

  const java = path.join(opensearchJavaHome(), "bin", "java");
  const javaArgs = [
    ...jvmOptions(home),
    `-Xms${opts.heap ?? "512m"}`,
    `-Xmx${opts.heap ?? "512m"}`,
    `-Djava.io.tmpdir=${dirs.tmp}`,
    `-Dopensearch.path.home=${home}`,
    `-Dopensearch.path.conf=${configDir}`,
    "-Dopensearch.distribution.type=tar",
    "-Dopensearch.bundled_jdk=false",
    "-cp",
    `${home}/lib/*`,
    "org.opensearch.bootstrap.OpenSearch",
  ];
  const [cmd, args] = asRoot ? ["setpriv", [`--reuid=${OPENSEARCH_UID}`, `--regid=${OPENSEARCH_UID}`, "--clear-groups", "--", java, ...javaArgs]] : [java, javaArgs];
  const lines: string[] = [];
  const t0 = Date.now();
  // cwd = home: jvm.options names the agent by a path relative to it, as upstream's does.
  const child: ChildProcess = spawn(cmd, args as string[], { cwd: home, env: { ...process.env, OPENSEARCH_HOME: home, OPENSEARCH_PATH_CONF: configDir }, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > KEEP_LINES) lines.splice(0, lines.length - KEEP_LINES);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited: number | null | undefined;
  const exitedPromise = new Promise<void>((resolve) => child.once("exit", (code) => ((exited = code), resolve())));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (exited === undefined) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15000);
      await exitedPromise;
      clearTimeout(timer);
    }
    fs.rmSync(run, { recursive: true, force: true });
  };
  const logs = () => lines.join("\n");
  const url = `https://127.0.0.1:${httpPort}`;
  const ca = opts.certs["root-ca.pem"];
  const deadline = t0 + (opts.timeoutMs ?? 120000);
  // Ready: TLS handshake with the stack's CA and an answer from the security plugin (401 without
  // credentials); before its index is initialised it answers 503.
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`OpenSearch exited (${exited}) before it was ready:\n${lines.slice(-60).join("\n")}`);
    }
    const status = await request(`${url}/`, { ca, timeoutMs: 2000 }).then((r) => r.status, () => 0);
    if (status === 401 || status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`OpenSearch not ready in ${opts.timeoutMs ?? 120000} ms (last status ${status}):\n${lines.slice(-60).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const startedMs = Date.now() - t0;
  const rssMiB = () => {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1];
      return kb ? Math.round(Number(kb) / 1024) : undefined;
    } catch {
      return undefined;
    }
  };
  return { url, httpPort, pid: child.pid!, startedMs, configDir, stop, logs, rssMiB };
}
