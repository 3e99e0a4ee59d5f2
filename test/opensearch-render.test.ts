import { execFileSync } from "child_process";
import * as bcrypt from "bcryptjs";
import * as path from "path";
import * as yaml from "js-yaml";
import {
  collectorLogsIndex,
  dailyLogIndex,
  deterministicBcrypt,
  LOGS_WRITE_ACTIONS,
  logIndexPattern,
  OPENSEARCH_CERT_DIR,
  OPENSEARCH_HOME,
  OPENSEARCH_USERS,
  OpenSearchInput,
  renderDashboardsYml,
  renderIndexTemplate,
  renderIsmPolicy,
  renderOpenSearchYml,
  renderSecurityFiles,
  renderSetupScript,
  SECURITY_FILE_NAMES,
} from "../components/logs/opensearch-config";

const input: OpenSearchInput = {
  clusterName: "obs-dev-logs",
  nodeName: "opensearch-0",
  nodeDn: "CN=opensearch,O=pulumi-observability",
  adminDn: "CN=admin,O=pulumi-observability",
  retentionDays: 14,
  indexPrefix: "logs",
};
// Passwords YAML, sh and JSON would each misread if they leaked in unescaped.
const passwords = { adminPassword: `Adm'in "pw": #1 $HOME`, writerPassword: "Wr1ter-pass\\word", readerPassword: "Read3r-pass`x`", dashboardsPassword: "Dashb0ards-pass" };
const SEED = "stack-seed-1";

/** An OpenSearch index pattern (`*` wildcards) as a RegExp. */
const globToRegExp = (glob: string) => new RegExp(`^${glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

describe("renderOpenSearchYml", () => {
  const cfg = yaml.load(renderOpenSearchYml(input)) as Record<string, any>;

  it("runs one node on all interfaces with the security plugin's TLS on transport and HTTP", () => {
    expect(cfg).toMatchObject({
      "cluster.name": "obs-dev-logs",
      "node.name": "opensearch-0",
      "discovery.type": "single-node",
      "network.host": "0.0.0.0",
      "plugins.security.ssl.http.enabled": true,
      "plugins.security.ssl.transport.enforce_hostname_verification": true,
    });
    expect(cfg["plugins.security.disabled"]).toBeUndefined();
  });

  it("takes every certificate from OPENSEARCH_CERT_DIR (paths relative to the config dir) and never the demo ones", () => {
    const paths = Object.entries(cfg).filter(([k]) => /^plugins\.security\.ssl\.(transport|http)\.pem/.test(k));
    expect(paths.map(([k]) => k).sort()).toHaveLength(6);
    for (const [, p] of paths) expect(path.dirname(path.resolve(OPENSEARCH_HOME, "config", p))).toBe(OPENSEARCH_CERT_DIR);
    expect(cfg["plugins.security.ssl.http.pemcert_filepath"]).toBe("certs/node.pem");
    expect(cfg["plugins.security.ssl.transport.pemtrustedcas_filepath"]).toBe("certs/root-ca.pem");
    expect(cfg["plugins.security.allow_unsafe_democertificates"]).toBe(false);
    expect(renderOpenSearchYml(input)).not.toMatch(/esnode|kirk|demo-cert/i);
  });

  it("names the admin and node certificates' subjects and initialises the security index from the files", () => {
    expect(cfg["plugins.security.authcz.admin_dn"]).toStrictEqual(["CN=admin,O=pulumi-observability"]);
    expect(cfg["plugins.security.nodes_dn"]).toStrictEqual(["CN=opensearch,O=pulumi-observability"]);
    expect(cfg["plugins.security.allow_default_init_securityindex"]).toBe(true);
    expect(cfg["plugins.security.restapi.roles_enabled"]).toStrictEqual(["all_access", "security_rest_api_access"]);
    expect(cfg["plugins.security.audit.type"]).toBe("log4j");
  });

  it.each([
    [{ retentionDays: 0 }, /retentionDays must be a whole number of days >= 1/],
    [{ retentionDays: 1.5 }, /retentionDays/],
    [{ indexPrefix: "Logs" }, /indexPrefix must be lowercase/],
    [{ indexPrefix: "-logs" }, /indexPrefix/],
    [{ nodeDn: "opensearch" }, /nodeDn must be a distinguished name/],
    [{ adminDn: input.nodeDn }, /nodeDn and adminDn must differ/],
  ])("rejects %j, naming the field", (bad, message) => {
    expect(() => renderOpenSearchYml({ ...input, ...bad })).toThrow(message);
  });
});

describe("renderSecurityFiles", () => {
  const files = renderSecurityFiles(passwords, SEED, input);
  const docs = Object.fromEntries(Object.entries(files).map(([n, t]) => [n, yaml.load(t) as Record<string, any>]));

  it("renders exactly the files SECURITY_FILE_NAMES lists (what the stack mounts before the passwords are known)", () => {
    expect(Object.keys(files).sort()).toStrictEqual([...SECURITY_FILE_NAMES].sort());
  });

  it("renders every file the security plugin reads, each with its _meta type and config_version 2", () => {
    expect(Object.fromEntries(Object.entries(docs).map(([n, d]) => [n, d._meta]))).toStrictEqual({
      "action_groups.yml": { type: "actiongroups", config_version: 2 },
      "allowlist.yml": { type: "allowlist", config_version: 2 },
      "audit.yml": { type: "audit", config_version: 2 },
      "config.yml": { type: "config", config_version: 2 },
      "internal_users.yml": { type: "internalusers", config_version: 2 },
      "nodes_dn.yml": { type: "nodesdn", config_version: 2 },
      "roles.yml": { type: "roles", config_version: 2 },
      "roles_mapping.yml": { type: "rolesmapping", config_version: 2 },
      "tenants.yml": { type: "tenants", config_version: 2 },
    });
  });

  it("stores bcrypt hashes that verify against the passwords, and no password text anywhere", () => {
    const users = docs["internal_users.yml"];
    const expected = { [OPENSEARCH_USERS.admin]: passwords.adminPassword, [OPENSEARCH_USERS.writer]: passwords.writerPassword, [OPENSEARCH_USERS.reader]: passwords.readerPassword, [OPENSEARCH_USERS.dashboards]: passwords.dashboardsPassword };
    expect(Object.keys(users).filter((k) => k !== "_meta").sort()).toStrictEqual(Object.keys(expected).sort());
    for (const [user, password] of Object.entries(expected)) {
      expect(users[user].hash).toMatch(/^\$2a\$12\$[./A-Za-z0-9]{53}$/);
      expect(bcrypt.compareSync(password, users[user].hash)).toBe(true);
      expect(bcrypt.compareSync(`${password}x`, users[user].hash)).toBe(false);
    }
    const all = Object.values(files).join("\n");
    for (const password of Object.values(passwords)) expect(all).not.toContain(password);
  });

  it("is deterministic: same passwords and seed, same bytes; another seed or user, another salt", () => {
    expect(renderSecurityFiles({ ...passwords }, SEED, { ...input })).toStrictEqual(files);
    const other = yaml.load(renderSecurityFiles(passwords, "another-seed", input)["internal_users.yml"]) as Record<string, any>;
    expect(other[OPENSEARCH_USERS.admin].hash).not.toBe(docs["internal_users.yml"][OPENSEARCH_USERS.admin].hash);
    expect(deterministicBcrypt("same-password", SEED, "a").slice(0, 29)).not.toBe(deterministicBcrypt("same-password", SEED, "b").slice(0, 29));
  });

  it("lets the writer create and write the log indices only: no read, no delete", () => {
    const writer = docs["roles.yml"].logs_writer;
    expect(writer.index_permissions).toStrictEqual([{ index_patterns: ["logs-otel-*"], allowed_actions: ["logs_write"] }]);
    expect(docs["action_groups.yml"].logs_write.allowed_actions).toStrictEqual(LOGS_WRITE_ACTIONS);
    for (const action of [...LOGS_WRITE_ACTIONS, ...writer.cluster_permissions]) expect(action).not.toMatch(/read|delete|search/);
  });

  it("lets the reader read and search the log indices and use Dashboards, never write", () => {
    const reader = docs["roles.yml"].logs_reader;
    expect(reader.index_permissions[0].index_patterns).toStrictEqual(["logs-otel-*"]);
    expect(reader.index_permissions[0].allowed_actions).toEqual(expect.arrayContaining(["read", "search"]));
    expect(JSON.stringify(reader)).not.toMatch(/write|delete|create|crud|indices_all/);
    expect(docs["roles_mapping.yml"]).toMatchObject({
      all_access: { users: ["admin"] },
      logs_writer: { users: ["logs-writer"] },
      logs_reader: { users: ["logs-reader"] },
      kibana_user: { users: ["logs-reader"] },
      kibana_server: { users: ["dashboards"] },
    });
  });

  it("authenticates by basic auth against the internal users only, with anonymous access off", () => {
    const dyn = docs["config.yml"].config.dynamic;
    expect(dyn.http.anonymous_auth_enabled).toBe(false);
    expect(Object.keys(dyn.authc)).toStrictEqual(["basic_internal_auth_domain"]);
    expect(dyn.authc.basic_internal_auth_domain).toMatchObject({ http_enabled: true, http_authenticator: { type: "basic", challenge: true }, authentication_backend: { type: "intern" } });
  });

  it("leaves the Dashboards server user out when it has no password", () => {
    const { dashboardsPassword: _unused, ...three } = passwords;
    const users = yaml.load(renderSecurityFiles(three, SEED, input)["internal_users.yml"]) as Record<string, unknown>;
    expect(Object.keys(users).sort()).toStrictEqual(["_meta", "admin", "logs-reader", "logs-writer"]);
    expect(() => renderSecurityFiles({ ...three, writerPassword: "short" }, SEED, input)).toThrow("opensearch writerPassword must be at least 8 characters");
    expect(() => renderSecurityFiles(three, "", input)).toThrow(/saltSeed is required/);
  });
});

describe("the log indices", () => {
  const pattern = globToRegExp(logIndexPattern(input));

  it("are daily, named as the collector's exporter writes them, and all match one pattern", () => {
    expect(dailyLogIndex(input, new Date("2026-12-02T23:59:59Z"))).toBe("logs-otel-2026.12.02");
    expect(collectorLogsIndex(input)).toStrictEqual({ logs_index: "logs-otel", logs_index_time_format: "yyyy.MM.dd" });
    expect(pattern.test(dailyLogIndex(input, new Date()))).toBe(true);
    expect(pattern.test("logs-other-2026.12.02")).toBe(false);
  });

  it("are deleted by ISM exactly retentionDays after creation, every new daily index included", () => {
    const { policy } = renderIsmPolicy(input) as any;
    expect(policy.default_state).toBe("hot");
    expect(policy.states).toStrictEqual([
      { name: "hot", actions: [], transitions: [{ state_name: "delete", conditions: { min_index_age: "14d" } }] },
      { name: "delete", actions: [{ delete: {} }], transitions: [] },
    ]);
    expect(policy.ism_template).toStrictEqual([{ index_patterns: ["logs-otel-*"], priority: 100 }]);
    expect(policy.ism_template[0].index_patterns.every((p: string) => globToRegExp(p).test(dailyLogIndex(input, new Date())))).toBe(true);
    expect((renderIsmPolicy({ ...input, retentionDays: 3 }) as any).policy.states[0].transitions[0].conditions.min_index_age).toBe("3d");
  });

  it("get a template with the exporter's SS4O fields, one shard and no replica", () => {
    const t = renderIndexTemplate(input) as any;
    expect(t.index_patterns).toStrictEqual(["logs-otel-*"]);
    expect(t.template.settings).toMatchObject({ "index.number_of_shards": 1, "index.number_of_replicas": 0 });
    const p = t.template.mappings.properties;
    expect(p["@timestamp"]).toStrictEqual({ type: "date" });
    expect(p.body).toStrictEqual({ type: "text" });
    expect(p.severity.properties.text).toStrictEqual({ type: "keyword" });
    expect(p.resource.properties.service.properties.name).toStrictEqual({ type: "keyword" });
    expect(p.traceId).toStrictEqual({ type: "keyword" });
    expect(p.spanId).toStrictEqual({ type: "keyword" });
    expect(t._meta).toStrictEqual({ managed_by: "pulumi-observability", content_hash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    // The hash follows the content: another prefix, another hash.
    expect((renderIndexTemplate({ ...input, indexPrefix: "app" }) as any)._meta.content_hash).not.toBe(t._meta.content_hash);
    expect(JSON.parse(JSON.stringify(t))).toStrictEqual(t);
  });
});

describe("renderDashboardsYml", () => {
  const text = renderDashboardsYml({ opensearchUrl: "https://opensearch:9200", serverName: "obs-dashboards" });
  const cfg = yaml.load(text) as Record<string, any>;

  it("talks TLS to the node, verifying its certificate fully against the stack's CA", () => {
    expect(cfg).toMatchObject({
      "server.host": "0.0.0.0",
      "opensearch.hosts": ["https://opensearch:9200"],
      "opensearch.ssl.verificationMode": "full",
      "opensearch.ssl.certificateAuthorities": ["/usr/share/opensearch-dashboards/config/certs/root-ca.pem"],
      "opensearch_security.auth.type": "basicauth",
    });
    expect(() => renderDashboardsYml({ opensearchUrl: "http://opensearch:9200", serverName: "x" })).toThrow(/must be https/);
  });

  it("holds no credentials: the server's login comes from OPENSEARCH_USERNAME / OPENSEARCH_PASSWORD", () => {
    expect(Object.keys(cfg).filter((k) => /password|username/i.test(k))).toStrictEqual([]);
    for (const password of Object.values(passwords)) expect(text).not.toContain(password);
  });
});

describe("renderSetupScript", () => {
  const script = renderSetupScript(input);

  it("is valid POSIX sh", () => {
    execFileSync("sh", ["-n"], { input: script });
  });

  it("carries the template and policy as rendered, and no password", () => {
    const bodies = [...script.matchAll(/<<'PULUMI_OBSERVABILITY_JSON_END'\n(.*)\nPULUMI_OBSERVABILITY_JSON_END/g)].map((m) => JSON.parse(m[1]));
    expect(bodies).toStrictEqual([renderIndexTemplate(input), renderIsmPolicy(input)]);
    for (const password of Object.values(passwords)) expect(script).not.toContain(password);
    expect(script).toContain(": \"${OPENSEARCH_ADMIN_PASSWORD_FILE:?");
  });

  it("updates an existing ISM policy only with if_seq_no/if_primary_term, and re-attaches it", () => {
    expect(script).toContain("?if_seq_no=$seq_no&if_primary_term=$primary_term");
    expect(script).toContain("/_plugins/_ism/change_policy/$INDEX_PATTERN");
    expect(script).toContain("/_plugins/_ism/add/$INDEX_PATTERN");
    expect(script).toMatch(/--cacert "\$CACERT"/);
  });

  it("renders the same bytes for the same input", () => {
    expect(renderSetupScript({ ...input })).toBe(script);
  });
});
