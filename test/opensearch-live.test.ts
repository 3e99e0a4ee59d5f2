import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import {
  dailyLogIndex,
  indexTemplateName,
  OPENSEARCH_USERS,
  OpenSearchInput,
  renderOpenSearchYml,
  renderSecurityFiles,
  renderSetupScript,
} from "../components/logs/opensearch-config";
import { describeWhenReady } from "./helpers/binaries";
import { generateCerts, OpenSearchNode, opensearchMissing, request, startOpenSearch } from "./helpers/opensearch";

/**
 * The rendered opensearch.yml and security files on a real OpenSearch 3.4.0 node with the real
 * security plugin (assembled from Maven Central: npm run toolchain:opensearch). The node has no
 * index-management plugin (Maven Central does not serve it at 3.4), so ISM is not exercised here:
 * the setup script's ISM step is skipped with OPENSEARCH_SETUP_SKIP_ISM=1, and a run without it
 * is shown to fail loudly.
 */

const input: OpenSearchInput = {
  clusterName: "obs-test-logs",
  nodeName: "opensearch-0",
  nodeDn: "CN=opensearch,O=pulumi-observability",
  adminDn: "CN=admin,O=pulumi-observability",
  retentionDays: 14,
  indexPrefix: "logs",
};
const passwords = { adminPassword: "Adm1n-'pw\"$x", writerPassword: "Wr1ter-pass-word", readerPassword: "Read3r-pass-word" };
const admin = { user: OPENSEARCH_USERS.admin, password: passwords.adminPassword };
const writer = { user: OPENSEARCH_USERS.writer, password: passwords.writerPassword };
const reader = { user: OPENSEARCH_USERS.reader, password: passwords.readerPassword };

// Today's index, as the collector's exporter names it, and a log record as its SS4O encoder writes it.
const index = dailyLogIndex(input, new Date());
const traceId = "5b8efff798038103d269b633813fc60c";
const logDocument = {
  "@timestamp": new Date().toISOString(),
  observedTimestamp: new Date().toISOString(),
  body: "payment declined: card expired",
  severity: { text: "ERROR", number: 17 },
  traceId,
  spanId: "eee19b7ec3c1b174",
  resource: { "service.name": "checkout", "service.namespace": "shop" },
  attributes: { "http.route": "/pay", "error.type": "CardExpired" },
  instrumentationScope: { name: "checkout-logger", version: "1.0.0" },
};

describeWhenReady("a real OpenSearch node on the rendered config", opensearchMissing(), "has an OpenSearch node to run", () => {
  let node: OpenSearchNode;
  let certs: Record<string, string>;
  let work: string;
  const figures: Record<string, unknown> = {};

  const call = (p: string, opts: Omit<Parameters<typeof request>[1], "ca"> = {}) => request(`${node.url}${p}`, { ca: certs["root-ca.pem"], ...opts });
  const runSetup = (env: Record<string, string> = {}) =>
    spawnSync("sh", [path.join(work, "setup.sh")], {
      encoding: "utf8",
      timeout: 120000,
      env: { PATH: process.env.PATH!, OPENSEARCH_URL: node.url, OPENSEARCH_CACERT: path.join(work, "root-ca.pem"), OPENSEARCH_ADMIN_PASSWORD_FILE: path.join(work, "admin-password"), ...env },
    });

  beforeAll(async () => {
    certs = generateCerts({ nodeDn: input.nodeDn, adminDn: input.adminDn });
    node = await startOpenSearch({ configYml: renderOpenSearchYml(input), securityFiles: renderSecurityFiles(passwords, "live-test-seed", input), certs, timeoutMs: 240000 });
    figures.startedMs = node.startedMs;
    work = fs.mkdtempSync(path.join(os.tmpdir(), "opensearch-setup-"));
    fs.writeFileSync(path.join(work, "setup.sh"), renderSetupScript(input));
    fs.writeFileSync(path.join(work, "root-ca.pem"), certs["root-ca.pem"]);
    fs.writeFileSync(path.join(work, "admin-password"), passwords.adminPassword, { mode: 0o600 });
  }, 300000);

  afterAll(async () => {
    figures.rssMiB = node?.rssMiB();
    // eslint-disable-next-line no-console
    console.log(`OpenSearch 3.4.0 figures: ${JSON.stringify(figures)}`);
    await node?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("speaks only HTTPS: a plain HTTP request gets no HTTP answer", async () => {
    const plain = await new Promise<string>((resolve) => {
      const req = http.get(`http://127.0.0.1:${node.httpPort}/`, { timeout: 5000 }, (res) => resolve(`HTTP ${res.statusCode}`));
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", (e) => resolve(`refused: ${e.message}`));
    });
    expect(plain).toMatch(/^refused/);
  });

  it("answers an anonymous request with 401 and audits the failed login in its log", async () => {
    const res = await call("/_cluster/health");
    expect(res.status).toBe(401);
    expect(node.logs()).toMatch(/\[audit\s*\].*"audit_category":"FAILED_LOGIN"/);
    expect((await call("/", { auth: { ...admin, password: "wrong-password" } })).status).toBe(401);
  });

  it("lets the admin in with basic auth: cluster health green or yellow", async () => {
    const res = await call("/_cluster/health", { auth: admin });
    expect(res.status).toBe(200);
    expect(["green", "yellow"]).toContain(res.json().status);
    expect(res.json().cluster_name).toBe("obs-test-logs");
    const plugins = await call("/_cat/plugins?format=json", { auth: admin });
    expect(plugins.json().map((p: { component: string; version: string }) => `${p.component} ${p.version}`)).toStrictEqual(["opensearch-security 3.4.0.0"]);
  });

  it("the setup script installs the index template (ISM skipped by OPENSEARCH_SETUP_SKIP_ISM=1)", async () => {
    const t0 = Date.now();
    const r = runSetup({ OPENSEARCH_SETUP_SKIP_ISM: "1" });
    figures.setupMs = Date.now() - t0;
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    expect(r.stderr).toContain("index template logs-otel installed");
    expect(r.stderr).toContain("ISM SKIPPED (OPENSEARCH_SETUP_SKIP_ISM=1)");
    const res = await call(`/_index_template/${indexTemplateName(input)}`, { auth: admin });
    expect(res.status).toBe(200);
    const tpl = res.json().index_templates[0].index_template;
    expect(tpl.index_patterns).toStrictEqual(["logs-otel-*"]);
    expect(tpl.template.mappings.properties.traceId).toStrictEqual({ type: "keyword" });
  });

  it("the setup script fails loudly where ISM is missing (this node has no index-management plugin)", () => {
    const r = runSetup();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/FAILED: get ISM policy: HTTP (400|404|405)/);
  });

  it("the writer bulk-indexes an exporter-shaped log record into today's index, which gets the template", async () => {
    const bulk = `${JSON.stringify({ create: { _index: index } })}\n${JSON.stringify(logDocument)}\n`;
    const res = await call("/_bulk?refresh=true", { method: "POST", auth: writer, body: bulk, contentType: "application/x-ndjson" });
    expect(res.status).toBe(200);
    expect(res.json().errors).toBe(false);
    const mapping = (await call(`/${index}/_mapping`, { auth: admin })).json()[index].mappings.properties;
    expect(mapping.traceId).toStrictEqual({ type: "keyword" });
    expect(mapping.resource.properties.service.properties.name).toStrictEqual({ type: "keyword" });
    expect(mapping.attributes.properties["http"].properties.route).toMatchObject({ type: "keyword" });
    const settings = (await call(`/${index}/_settings`, { auth: admin })).json()[index].settings.index;
    expect({ shards: settings.number_of_shards, replicas: settings.number_of_replicas }).toStrictEqual({ shards: "1", replicas: "0" });
  });

  it("the reader finds the record by traceId", async () => {
    const res = await call("/logs-otel-*/_search", { method: "POST", auth: reader, body: { query: { term: { traceId } } } });
    expect(res.status).toBe(200);
    const hits = res.json().hits.hits;
    expect(hits).toHaveLength(1);
    expect(hits[0]._source).toMatchObject({ body: logDocument.body, severity: { text: "ERROR" }, resource: { "service.name": "checkout" } });
  });

  it("the writer can neither read nor delete", async () => {
    expect((await call("/logs-otel-*/_search", { method: "POST", auth: writer, body: { query: { match_all: {} } } })).status).toBe(403);
    const id = (await call("/logs-otel-*/_search", { method: "POST", auth: reader, body: { query: { term: { traceId } } } })).json().hits.hits[0]._id;
    expect((await call(`/${index}/_doc/${id}`, { method: "DELETE", auth: writer })).status).toBe(403);
    expect((await call(`/${index}`, { method: "DELETE", auth: writer })).status).toBe(403);
    const bulkDelete = await call("/_bulk", { method: "POST", auth: writer, body: `${JSON.stringify({ delete: { _index: index, _id: id } })}\n`, contentType: "application/x-ndjson" });
    expect(bulkDelete.json().items?.[0]?.delete?.status ?? bulkDelete.status).toBe(403);
  });

  it("the reader cannot write", async () => {
    expect((await call(`/${index}/_doc`, { method: "POST", auth: reader, body: logDocument })).status).toBe(403);
    const bulk = await call("/_bulk", { method: "POST", auth: reader, body: `${JSON.stringify({ create: { _index: index } })}\n${JSON.stringify(logDocument)}\n`, contentType: "application/x-ndjson" });
    // kibana_user carries the cluster-level bulk action, so the request passes and each item is refused.
    expect(bulk.json().items?.[0]?.create?.status ?? bulk.status).toBe(403);
    const count = await call("/logs-otel-*/_count", { auth: reader });
    expect(count.json().count).toBe(1);
  });

  it("a second run of the setup script changes nothing", async () => {
    const before = (await call(`/_index_template/${indexTemplateName(input)}`, { auth: admin })).body;
    const r = runSetup({ OPENSEARCH_SETUP_SKIP_ISM: "1" });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("index template logs-otel unchanged");
    expect(r.stderr).not.toContain("installed");
    expect((await call(`/_index_template/${indexTemplateName(input)}`, { auth: admin })).body).toBe(before);
  });
});
