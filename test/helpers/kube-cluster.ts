import { execFileSync } from "child_process";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { binDir, recipes, shareDir } from "../../scripts/toolchain/recipes";
import { bin } from "./binaries";
import { freePort, ProcessHandle, startOnFreePort, startProcess, tempDir, waitFor } from "./processes";

/**
 * A throwaway Kubernetes control plane on loopback, for tests that hand real objects to a real API
 * server: etcd, kube-apiserver (Pod Security Admission and RBAC on, as a cluster has them),
 * kube-controller-manager (Deployments, StatefulSets, DaemonSets, volume binding, garbage
 * collection, namespace deletion), kube-scheduler, and kwok, which plays the kubelets: its fake
 * nodes turn Ready and the pods bound to them Running and Ready, without running any container.
 *
 * Every binary is the toolchain's build at its pin (`npm run toolchain -- --only etcd,kubernetes,kwok`);
 * certificates are made here by openssl (a CA, the API server's, a `system:masters` client's).
 * Everything lives in a temp dir and every process is stopped by `stopAll()` (processes.ts).
 */

/** The binaries `startKubeCluster` runs: ask `describeWithBinaries` for these. */
export const CONTROL_PLANE_BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "openssl"];

/** The annotation kwok manages nodes by (`--manage-nodes-with-annotation-selector`). */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

export interface KubeCluster {
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** A client authenticated as a member of `system:masters`. */
  readonly client: KubeClient;
  /** kubeconfig of that client, for a process that needs one. */
  readonly kubeconfig: string;
  readonly processes: Record<"etcd" | "apiserver" | "controllerManager" | "scheduler" | "kwok", ProcessHandle>;
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The service account token signing key pair. */
  saKey: string;
  saPub: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync(bin("openssl"), args, { cwd, stdio: "pipe" });
}

/** A CA valid for a day, the API server's serving certificate and an admin client certificate signed by it. */
function makePki(dir: string): Pki {
  const f = (name: string) => path.join(dir, name);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=obs-e2e-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  const issue = (name: string, subject: string, extensions: string) => {
    fs.writeFileSync(f(`${name}.ext`), extensions);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
    openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "1", "-extfile", `${name}.ext`], dir);
  };
  // 10.96.0.1: the `kubernetes` Service's cluster IP, the first of --service-cluster-ip-range.
  issue("apiserver", "/CN=kube-apiserver", [
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
    "",
  ].join("\n"));
  // O=system:masters: every request is allowed (RBAC's superuser group), like a cluster admin's kubeconfig.
  issue("admin", "/O=system:masters/CN=obs-e2e-admin", ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth", ""].join("\n"));
  const sa = generateKeyPairSync("ec", { namedCurve: "prime256v1", publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  fs.writeFileSync(f("sa.key"), sa.privateKey, { mode: 0o600 });
  fs.writeFileSync(f("sa.pub"), sa.publicKey);
  return {
    caCert: f("ca.crt"),
    caKey: f("ca.key"),
    serverCert: f("apiserver.crt"),
    serverKey: f("apiserver.key"),
    clientCert: f("admin.crt"),
    clientKey: f("admin.key"),
    saKey: f("sa.key"),
    saPub: f("sa.pub"),
  };
}

function writeKubeconfig(file: string, server: string, pki: Pki): void {
  // JSON is YAML: every Kubernetes client reads it.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "e2e", cluster: { server, "certificate-authority": pki.caCert } }],
    users: [{ name: "admin", user: { "client-certificate": pki.clientCert, "client-key": pki.clientKey } }],
    contexts: [{ name: "e2e", context: { cluster: "e2e", user: "admin" } }],
    "current-context": "e2e",
  };
  fs.writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
}

// ---------------------------------------------------------------------------------------------
// A small REST client
// ---------------------------------------------------------------------------------------------

export interface KubeResponse {
  status: number;
  body: any;
  /** The API server's `Warning` headers (Pod Security Admission's `warn` mode among them). */
  warnings: string[];
}

export interface ResourceInfo {
  /** `/api/v1` or `/apis/<group>/<version>`. */
  prefix: string;
  /** The plural resource name (`statefulsets`). */
  resource: string;
  namespaced: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: any };
  [key: string]: any;
}

/** The text of a `Warning` header (RFC 7234: `299 - "<quoted text>"`). */
export function warningText(header: string): string {
  const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(header);
  return m ? m[1].replace(/\\(.)/g, "$1") : header;
}

/**
 * JSON over HTTPS with a client certificate, and discovery to find each kind's resource path.
 * Only what the tests need: get, list, create, server-side apply, delete.
 */
export class KubeClient {
  private readonly agent: https.Agent;
  private kinds: Map<string, ResourceInfo> | undefined;

  constructor(
    readonly server: string,
    tls: { ca: string; cert: string; key: string },
  ) {
    this.agent = new https.Agent({ ca: fs.readFileSync(tls.ca), cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key), keepAlive: true, maxSockets: 8 });
  }

  request(method: string, urlPath: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${this.server}${urlPath}`,
        {
          method,
          agent: this.agent,
          headers: { accept: "application/json", ...(payload ? { "content-type": contentType, "content-length": payload.length } : {}) },
          timeout: 30000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Not JSON (/readyz answers `ok`).
            }
            const warning = res.headers.warning;
            const warnings = (warning === undefined ? [] : Array.isArray(warning) ? warning : [warning]).map(warningText);
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: no answer in 30 s`)));
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** As `request`, but throws (with the API server's message) unless the status is 2xx. */
  async ok(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<KubeResponse> {
    const res = await this.request(method, urlPath, body, contentType);
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${urlPath}: ${res.status} ${res.body?.message ?? JSON.stringify(res.body)}`);
    return res;
  }

  /** Every kind the API server serves, by `apiVersion/Kind` (core and every group's versions). */
  async discover(): Promise<Map<string, ResourceInfo>> {
    const kinds = new Map<string, ResourceInfo>();
    const groupVersions = ["v1"];
    const groups = (await this.ok("GET", "/apis")).body.groups as { versions: { groupVersion: string }[] }[];
    for (const g of groups) for (const v of g.versions) groupVersions.push(v.groupVersion);
    for (const gv of groupVersions) {
      const prefix = gv === "v1" ? "/api/v1" : `/apis/${gv}`;
      const list = (await this.ok("GET", prefix)).body.resources as { name: string; kind: string; namespaced: boolean }[];
      for (const r of list) if (!r.name.includes("/")) kinds.set(`${gv}/${r.kind}`, { prefix, resource: r.name, namespaced: r.namespaced });
    }
    this.kinds = kinds;
    return kinds;
  }

  /** The resource of a kind; throws when the API server does not serve it. */
  info(apiVersion: string, kind: string): ResourceInfo {
    const found = this.kinds?.get(`${apiVersion}/${kind}`);
    if (!found) throw new Error(`the API server serves no ${apiVersion} ${kind}${this.kinds ? "" : " (call discover() first)"}`);
    return found;
  }

  /** The collection path of a kind (in `namespace` when it is namespaced). */
  collectionPath(apiVersion: string, kind: string, namespace?: string): string {
    const { prefix, resource, namespaced } = this.info(apiVersion, kind);
    if (namespaced && !namespace) throw new Error(`${kind} is namespaced: name a namespace`);
    return namespaced ? `${prefix}/namespaces/${namespace}/${resource}` : `${prefix}/${resource}`;
  }

  /** The path of one object. */
  objectPath(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
    return `${this.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace)}/${encodeURIComponent(obj.metadata.name)}`;
  }

  /** Server-side apply: the manager owns exactly the fields `obj` sets; `force` takes fields over from other managers. */
  apply(obj: KubeObject, fieldManager: string): Promise<KubeResponse> {
    return this.ok("PATCH", `${this.objectPath(obj)}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`, obj, "application/apply-patch+yaml");
  }

  create(obj: KubeObject, opts: { dryRun?: boolean } = {}): Promise<KubeResponse> {
    return this.request("POST", `${this.collectionPath(obj.apiVersion, obj.kind, obj.metadata.namespace)}${opts.dryRun ? "?dryRun=All" : ""}`, obj);
  }

  get(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<KubeResponse> {
    return this.request("GET", this.objectPath(obj));
  }

  /** The objects of a kind, in `namespace` or (without one) in every namespace. */
  async list(apiVersion: string, kind: string, namespace?: string): Promise<any[]> {
    const { prefix, resource, namespaced } = this.info(apiVersion, kind);
    return (await this.ok("GET", namespaced && namespace ? `${prefix}/namespaces/${namespace}/${resource}` : `${prefix}/${resource}`)).body.items;
  }

  /** Deletes with background propagation, as `kubectl delete` (and the Pulumi provider) do; a 404 is not an error. */
  async delete(obj: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): Promise<void> {
    const res = await this.request("DELETE", `${this.objectPath(obj)}?propagationPolicy=Background`);
    if (res.status !== 404 && (res.status < 200 || res.status > 299)) throw new Error(`DELETE ${this.objectPath(obj)}: ${res.status} ${res.body?.message}`);
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The control plane
// ---------------------------------------------------------------------------------------------

const START_TIMEOUT_MS = 90000;

/** Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok; resolves once the API server is ready. */
export async function startKubeCluster(): Promise<KubeCluster> {
  const dir = tempDir("kube");
  const pki = makePki(dir);
  const kubeconfig = path.join(dir, "kubeconfig");

  const peerPort = await freePort();
  const etcd = await startOnFreePort((port) => ({
    name: "etcd",
    command: bin("etcd"),
    args: [
      "--name=e2e",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${port}`,
      `--advertise-client-urls=http://127.0.0.1:${port}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=e2e=http://127.0.0.1:${peerPort}`,
      // Nothing here outlives the test: no fsync, a small backend.
      "--unsafe-no-fsync",
      "--quota-backend-bytes=1073741824",
      "--log-level=warn",
    ],
    ready: { http: `http://127.0.0.1:${port}/health` },
    timeoutMs: START_TIMEOUT_MS,
  }));

  const apiserver = await startOnFreePort((port) => ({
    name: "kube-apiserver",
    command: bin("kube-apiserver"),
    args: [
      `--etcd-servers=http://127.0.0.1:${etcd.port}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${path.join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--authorization-mode=Node,RBAC",
      // PodSecurity, ServiceAccount, DefaultStorageClass, NamespaceLifecycle, ... are on by default.
      "--allow-privileged=true",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      // The `kubernetes` Service's endpoint would be 127.0.0.1, which Endpoints validation refuses: no reconciler.
      "--endpoint-reconciler-type=none",
      "--v=0",
    ],
    ready: { tcp: port },
    timeoutMs: START_TIMEOUT_MS,
  }));
  const server = `https://127.0.0.1:${apiserver.port}`;
  writeKubeconfig(kubeconfig, server, pki);
  const client = new KubeClient(server, { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey });
  await waitFor(async () => (await client.request("GET", "/readyz")).status === 200, START_TIMEOUT_MS, "kube-apiserver /readyz", 250);
  await client.discover();

  // What kube-controller-manager and kube-scheduler share: the API server's kubeconfig, loopback, no election.
  const controlPlaneClientArgs = (port: number, certDir: string) => [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    `--cert-dir=${path.join(dir, certDir)}`,
    "--leader-elect=false",
  ];
  const controllerManager = await startOnFreePort((port) => ({
    name: "kube-controller-manager",
    command: bin("kube-controller-manager"),
    args: [
      ...controlPlaneClientArgs(port, "controller-manager-certs"),
      "--use-service-account-credentials=false",
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      // Volume binding is retried on this period too: the default 15 s would dominate the test.
      "--pvclaimbinder-sync-period=2s",
      "--v=0",
    ],
    ready: { tcp: port },
    timeoutMs: START_TIMEOUT_MS,
  }));

  const scheduler = await startOnFreePort((port) => ({
    name: "kube-scheduler",
    command: bin("kube-scheduler"),
    args: [...controlPlaneClientArgs(port, "scheduler-certs"), "--v=0"],
    ready: { tcp: port },
    timeoutMs: START_TIMEOUT_MS,
  }));

  // kwok's stages: the defaults kwokctl embeds, shipped by the toolchain beside the binary.
  const kwokRecipe = recipes(fs.readFileSync(path.resolve(__dirname, "..", "..", "package-lock.json"), "utf8")).find((r) => r.name === "kwok")!;
  const stages = (kwokRecipe.dataFiles?.files ?? []).map((f) => path.join(shareDir(kwokRecipe), path.basename(f)));
  const absent = stages.filter((f) => !fs.existsSync(f));
  if (absent.length > 0) throw new Error(`kwok's stage files are missing (${absent.join(", ")}): npm run toolchain -- --only kwok (next to ${binDir(kwokRecipe)})`);
  const kwok = await startOnFreePort((port) => ({
    name: "kwok",
    command: bin("kwok"),
    args: [
      ...stages.map((f) => `--config=${f}`),
      `--kubeconfig=${kubeconfig}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      "--cidr=10.244.0.0/16",
      "--node-ip=10.0.0.1",
      `--server-address=127.0.0.1:${port}`,
    ],
    ready: { tcp: port },
    timeoutMs: START_TIMEOUT_MS,
  }));

  return {
    server,
    client,
    kubeconfig,
    processes: { etcd: etcd.process, apiserver: apiserver.process, controllerManager: controllerManager.process, scheduler: scheduler.process, kwok: kwok.process },
  };
}

/**
 * A fake node kwok manages: it turns Ready and every pod bound to it Running and Ready. Sized so
 * that the scheduler places whatever the test asks for.
 */
export function kwokNode(name: string, allocatable: { cpu: string; memory: string; pods: string } = { cpu: "32", memory: "256Gi", pods: "110" }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok" },
    },
    spec: {},
    status: { allocatable, capacity: allocatable },
  };
}
