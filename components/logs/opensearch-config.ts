import * as bcrypt from "bcryptjs";
import { createHash, createHmac } from "node:crypto";
import * as yaml from "js-yaml";

/**
 * Pure renderers for the OpenSearch logs backend (`logs.backend: opensearch`): opensearch.yml, the
 * security plugin's files, the index template and ISM policy of the log indices, the setup script
 * that installs those two, and opensearch_dashboards.yml. No Pulumi here: the same input renders
 * the same bytes (the bcrypt salts are derived, not drawn), so `pulumi preview` shows no diff.
 *
 * Index layout: the collector's opensearch exporter writes daily indices
 * `<indexPrefix>-otel-YYYY.MM.DD` (`collectorLogsIndex` gives its two settings); the template,
 * the ISM policy and the roles all match `<indexPrefix>-otel-*`.
 */

/** The image's layout (opensearchproject/opensearch). */
export const OPENSEARCH_HOME = "/usr/share/opensearch";
/** Where the certificates are mounted: root-ca.pem, node.pem, node-key.pem, admin.pem, admin-key.pem. */
export const OPENSEARCH_CERT_DIR = `${OPENSEARCH_HOME}/config/certs`;
/** The image's data directory (the volume). */
export const OPENSEARCH_DATA_DIR = `${OPENSEARCH_HOME}/data`;
/** Where the security plugin reads its files from on first start (`config/opensearch-security/`). */
export const OPENSEARCH_SECURITY_DIR = `${OPENSEARCH_HOME}/config/opensearch-security`;
export const OPENSEARCH_HTTP_PORT = 9200;
export const OPENSEARCH_TRANSPORT_PORT = 9300;
/** The Dashboards image's layout (opensearchproject/opensearch-dashboards). */
export const DASHBOARDS_HOME = "/usr/share/opensearch-dashboards";
export const DASHBOARDS_CERT_DIR = `${DASHBOARDS_HOME}/config/certs`;
export const DASHBOARDS_PORT = 5601;

/** The internal users the security files define. */
export const OPENSEARCH_USERS = {
  /** all_access: the setup script, break-glass. */
  admin: "admin",
  /** logs_writer: the collector's exporter; creates and writes the log indices, reads nothing. */
  writer: "logs-writer",
  /** logs_reader (+ kibana_user): Grafana's data source and people in Dashboards; reads, never writes. */
  reader: "logs-reader",
  /** kibana_server: the Dashboards server itself (only when `dashboardsPassword` is given). */
  dashboards: "dashboards",
} as const;

/**
 * The Dashboards image maps these environment variables to `opensearch.username` and
 * `opensearch.password` (its docker entrypoint turns known env names into settings), so the
 * password never has to be in opensearch_dashboards.yml.
 */
export const DASHBOARDS_ENV = { username: "OPENSEARCH_USERNAME", password: "OPENSEARCH_PASSWORD" } as const;

export interface OpenSearchInput {
  /** `cluster.name`, e.g. `obs-dev-logs`. */
  clusterName: string;
  /** `node.name`, e.g. `opensearch-0`. */
  nodeName: string;
  /**
   * The node certificate's subject (`plugins.security.nodes_dn`), e.g.
   * `CN=opensearch,O=pulumi-observability`. Its SANs must carry the names clients use (the service
   * name, and localhost for the setup script beside the node).
   */
  nodeDn: string;
  /** The admin certificate's subject (`plugins.security.authcz.admin_dn`), e.g. `CN=admin,O=pulumi-observability`. */
  adminDn: string;
  /** `logs.retention` in whole days: an index is deleted this many days after it was created. */
  retentionDays: number;
  /** The log indices' prefix: `logs` gives daily indices `logs-otel-2026.12.02`, matched by `logs-otel-*`. */
  indexPrefix: string;
}

const HEADER = (file: string) => `# Rendered by pulumi-observability (components/logs/opensearch-config.ts, ${file}); edits are overwritten.\n`;
const dump = (doc: unknown) => yaml.dump(doc, { lineWidth: -1, noRefs: true, quotingType: '"', sortKeys: false });

/** Fails early, naming the field, on input that would render a broken config. */
export function validateOpenSearchInput(input: OpenSearchInput): void {
  if (!Number.isInteger(input.retentionDays) || input.retentionDays < 1) throw new Error(`opensearch retentionDays must be a whole number of days >= 1, got ${input.retentionDays}`);
  // OpenSearch index names: lowercase, no leading -, _ or +, none of \ / * ? " < > | space , #
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(input.indexPrefix)) throw new Error(`opensearch indexPrefix must be lowercase letters, digits, '.', '_' or '-' (not first), got ${JSON.stringify(input.indexPrefix)}`);
  for (const key of ["clusterName", "nodeName"] as const) if (!/^[A-Za-z0-9._-]+$/.test(input[key])) throw new Error(`opensearch ${key} must be letters, digits, '.', '_' or '-', got ${JSON.stringify(input[key])}`);
  for (const key of ["nodeDn", "adminDn"] as const) if (!/^[A-Za-z]+=[^,]+(,[A-Za-z]+=[^,]+)*$/.test(input[key])) throw new Error(`opensearch ${key} must be a distinguished name like CN=x,O=y, got ${JSON.stringify(input[key])}`);
  if (input.nodeDn === input.adminDn) throw new Error("opensearch nodeDn and adminDn must differ: a node certificate must not be an admin certificate");
}

/** The index name the exporter's bulk requests carry for a day (UTC), e.g. `logs-otel-2026.12.02`. */
export function dailyLogIndex(input: Pick<OpenSearchInput, "indexPrefix">, day: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${input.indexPrefix}-otel-${day.getUTCFullYear()}.${p(day.getUTCMonth() + 1)}.${p(day.getUTCDate())}`;
}

/** The pattern every daily log index matches: the template's, the ISM policy's and the roles'. */
export function logIndexPattern(input: Pick<OpenSearchInput, "indexPrefix">): string {
  return `${input.indexPrefix}-otel-*`;
}

/** The opensearch exporter's index settings that write the daily indices above (`logs_index` + a time suffix). */
export function collectorLogsIndex(input: Pick<OpenSearchInput, "indexPrefix">): { logs_index: string; logs_index_time_format: string } {
  return { logs_index: `${input.indexPrefix}-otel`, logs_index_time_format: "yyyy.MM.dd" };
}

export const indexTemplateName = (input: Pick<OpenSearchInput, "indexPrefix">) => `${input.indexPrefix}-otel`;
export const ismPolicyId = (input: Pick<OpenSearchInput, "indexPrefix">) => `${input.indexPrefix}-otel-retention`;

/**
 * opensearch.yml for a single node with the security plugin on: TLS on transport and HTTP from
 * the certificates in OPENSEARCH_CERT_DIR (paths relative to the config dir, which is where the
 * plugin resolves them: `config/certs/...` in the image, the same files wherever a test puts its
 * config dir), basic auth against the internal users, no demo certificates.
 */
export function renderOpenSearchYml(input: OpenSearchInput): string {
  validateOpenSearchInput(input);
  const certs = (file: string) => `certs/${file}`;
  const config = {
    "cluster.name": input.clusterName,
    "node.name": input.nodeName,
    "path.data": OPENSEARCH_DATA_DIR,
    "path.logs": `${OPENSEARCH_HOME}/logs`,
    // 0.0.0.0 inside the container: what reaches it is decided by the platform (a private network, a NetworkPolicy).
    "network.host": "0.0.0.0",
    "http.port": OPENSEARCH_HTTP_PORT,
    "transport.port": OPENSEARCH_TRANSPORT_PORT,
    "discovery.type": "single-node",
    // Indices are created by the exporter's bulk requests, under the template the setup script installs.
    "action.destructive_requires_name": true,

    "plugins.security.ssl.transport.pemcert_filepath": certs("node.pem"),
    "plugins.security.ssl.transport.pemkey_filepath": certs("node-key.pem"),
    "plugins.security.ssl.transport.pemtrustedcas_filepath": certs("root-ca.pem"),
    "plugins.security.ssl.transport.enforce_hostname_verification": true,
    "plugins.security.ssl.http.enabled": true,
    "plugins.security.ssl.http.pemcert_filepath": certs("node.pem"),
    "plugins.security.ssl.http.pemkey_filepath": certs("node-key.pem"),
    "plugins.security.ssl.http.pemtrustedcas_filepath": certs("root-ca.pem"),
    // A client certificate is accepted (the admin certificate), a password is enough.
    "plugins.security.ssl.http.clientauth_mode": "OPTIONAL",
    "plugins.security.allow_unsafe_democertificates": false,
    // The security index is created from config/opensearch-security/ on the first start only.
    "plugins.security.allow_default_init_securityindex": true,
    "plugins.security.authcz.admin_dn": [input.adminDn],
    "plugins.security.nodes_dn": [input.nodeDn],
    // Audit events (failed logins, missing privileges: audit.yml) go to the node's log, which the
    // stack already collects; an audit index would grow with no retention of its own.
    "plugins.security.audit.type": "log4j",
    "plugins.security.audit.config.log4j.logger_name": "audit",
    "plugins.security.audit.config.log4j.level": "INFO",
    "plugins.security.enable_snapshot_restore_privilege": true,
    "plugins.security.check_snapshot_restore_write_privileges": true,
    "plugins.security.restapi.roles_enabled": ["all_access", "security_rest_api_access"],
    "plugins.security.system_indices.enabled": true,
    "plugins.security.system_indices.indices": [".opendistro-ism-*", ".opendistro-job-scheduler-lock", ".opensearch-notifications-*", ".opensearch-observability", ".plugins-ml-*", ".ql-datasources"],
  };
  return HEADER("renderOpenSearchYml") + dump(config);
}

/** The files `renderSecurityFiles` renders into config/opensearch-security/ (known before the passwords are). */
export const SECURITY_FILE_NAMES = ["action_groups.yml", "allowlist.yml", "audit.yml", "config.yml", "internal_users.yml", "nodes_dn.yml", "roles.yml", "roles_mapping.yml", "tenants.yml"] as const;

export interface OpenSearchUsers {
  adminPassword: string;
  writerPassword: string;
  readerPassword: string;
  /** The Dashboards server's own user (kibana_server); omitted when Dashboards is not deployed. */
  dashboardsPassword?: string;
}

/** bcrypt work factor: the security plugin's default (`plugins.security.password.hashing.bcrypt.rounds`). */
export const BCRYPT_ROUNDS = 12;
const hashes = new Map<string, string>();

/**
 * A bcrypt hash whose salt is derived from HMAC-SHA256(seed, user): the same password, seed and
 * user give the same hash, so re-rendering changes nothing; another seed or user, another salt.
 * (bcrypt reads at most 72 bytes of a password.)
 */
export function deterministicBcrypt(password: string, seed: string, user: string, rounds = BCRYPT_ROUNDS): string {
  const saltBytes = createHmac("sha256", seed).update(`opensearch-internal-user:${user}`).digest().subarray(0, 16);
  const salt = `$2a$${String(rounds).padStart(2, "0")}$${bcrypt.encodeBase64([...saltBytes], 16)}`;
  const key = createHash("sha256").update(`${salt}\0${password}`).digest("hex");
  let hash = hashes.get(key);
  if (hash === undefined) {
    // Memoised per process: a preview renders the same users several times, at ~0.5 s a hash.
    hash = bcrypt.hashSync(password, salt);
    hashes.set(key, hash);
  }
  return hash;
}

const meta = (type: string) => ({ _meta: { type, config_version: 2 } });

/** The index actions of the writer: create its indices and index documents, nothing else (no read, no delete). */
export const LOGS_WRITE_ACTIONS = ["indices:admin/create", "indices:admin/mapping/put", "indices:data/write/index", "indices:data/write/bulk*"];

/**
 * The security plugin's files (config/opensearch-security/), by file name. They are read when the
 * security index is created, i.e. on the node's first start only: a later change (a rotated
 * password) reaches a running cluster through securityadmin.sh or the REST API, not by re-rendering.
 * Each file carries `_meta` (type, config_version 2) or the plugin refuses it.
 */
export function renderSecurityFiles(passwords: OpenSearchUsers, saltSeed: string, input: Pick<OpenSearchInput, "indexPrefix"> = { indexPrefix: "logs" }): Record<string, string> {
  if (!saltSeed) throw new Error("opensearch saltSeed is required: it makes the password hashes stable");
  for (const [k, v] of Object.entries(passwords)) if (v !== undefined && (typeof v !== "string" || v.length < 8)) throw new Error(`opensearch ${k} must be at least 8 characters`);
  const pattern = logIndexPattern(input);
  const U = OPENSEARCH_USERS;
  const user = (name: string, password: string, description: string) => ({ hash: deterministicBcrypt(password, saltSeed, name), reserved: true, backend_roles: [], description });

  const internalUsers = {
    ...meta("internalusers"),
    [U.admin]: user(U.admin, passwords.adminPassword, "Administrator (all_access): the setup script, break-glass"),
    [U.writer]: user(U.writer, passwords.writerPassword, "The collector's opensearch exporter: writes the log indices"),
    [U.reader]: user(U.reader, passwords.readerPassword, "Grafana and Dashboards users: read the log indices"),
    ...(passwords.dashboardsPassword !== undefined ? { [U.dashboards]: user(U.dashboards, passwords.dashboardsPassword, "The OpenSearch Dashboards server") } : {}),
  };

  const actionGroups = {
    ...meta("actiongroups"),
    logs_write: { reserved: true, type: "index", allowed_actions: LOGS_WRITE_ACTIONS, description: "Create the log indices and index documents into them; no read, no delete" },
  };

  const roles = {
    ...meta("roles"),
    logs_writer: {
      reserved: true,
      description: `Writes ${pattern}: bulk create/index, auto-creating the daily index`,
      // cluster:monitor/main: the client's version probe (GET /); the bulk action itself is cluster-level.
      cluster_permissions: ["cluster:monitor/main", "indices:data/write/bulk"],
      index_permissions: [{ index_patterns: [pattern], allowed_actions: ["logs_write"] }],
      tenant_permissions: [],
    },
    logs_reader: {
      reserved: true,
      description: `Reads ${pattern}: search, msearch, mappings and field caps for Grafana and Dashboards`,
      cluster_permissions: ["cluster:monitor/main", "cluster:monitor/health", "cluster_composite_ops_ro"],
      index_permissions: [{ index_patterns: [pattern], allowed_actions: ["read", "search", "indices:admin/mappings/get", "indices:admin/get", "indices:monitor/settings/get"] }],
      tenant_permissions: [],
    },
  };

  const rolesMapping = {
    ...meta("rolesmapping"),
    all_access: { reserved: true, users: [U.admin], backend_roles: [], description: "The administrator" },
    logs_writer: { reserved: true, users: [U.writer], backend_roles: [] },
    logs_reader: { reserved: true, users: [U.reader], backend_roles: [] },
    // Dashboards' saved objects (index patterns, searches) in the global tenant.
    kibana_user: { reserved: true, users: [U.reader], backend_roles: [] },
    ...(passwords.dashboardsPassword !== undefined ? { kibana_server: { reserved: true, users: [U.dashboards], backend_roles: [] } } : {}),
  };

  const config = {
    ...meta("config"),
    config: {
      dynamic: {
        http: { anonymous_auth_enabled: false, xff: { enabled: false } },
        authc: {
          basic_internal_auth_domain: {
            description: "HTTP basic auth against the internal users (internal_users.yml)",
            http_enabled: true,
            transport_enabled: true,
            order: 0,
            http_authenticator: { type: "basic", challenge: true },
            authentication_backend: { type: "intern" },
          },
        },
        authz: {},
      },
    },
  };

  const audit = {
    ...meta("audit"),
    config: {
      enabled: true,
      audit: {
        enable_rest: true,
        // Failures only: successful logins and granted requests would be every request.
        disabled_rest_categories: ["AUTHENTICATED", "GRANTED_PRIVILEGES"],
        enable_transport: true,
        disabled_transport_categories: ["AUTHENTICATED", "GRANTED_PRIVILEGES"],
        ignore_users: [],
        ignore_requests: [],
        resolve_bulk_requests: false,
        // Request bodies are log lines, possibly with personal data: never copied into the audit log.
        log_request_body: false,
        resolve_indices: true,
        exclude_sensitive_headers: true,
      },
      compliance: { enabled: false },
    },
  };

  const files: Record<string, unknown> = {
    "action_groups.yml": actionGroups,
    "allowlist.yml": { ...meta("allowlist"), config: { enabled: false, requests: {} } },
    "audit.yml": audit,
    "config.yml": config,
    "internal_users.yml": internalUsers,
    "nodes_dn.yml": meta("nodesdn"),
    "roles.yml": roles,
    "roles_mapping.yml": rolesMapping,
    // Multi-tenancy is off in Dashboards: everything lives in the global tenant.
    "tenants.yml": meta("tenants"),
  };
  return Object.fromEntries(Object.entries(files).map(([name, doc]) => [name, HEADER("renderSecurityFiles") + dump(doc)]));
}

/** A short content hash the setup script finds in what is installed, to leave an unchanged object alone. */
function contentHash(doc: unknown): string {
  return createHash("sha256").update(JSON.stringify(doc)).digest("hex").slice(0, 16);
}

/**
 * The ISM policy (body of `PUT _plugins/_ism/policies/<ismPolicyId>`): `hot`, then `delete` once
 * the index is `retentionDays` old. Its `ism_template` attaches it to every new daily index; the
 * setup script attaches it to indices that existed before. A daily index holds one day, so a day's
 * logs are kept between retentionDays and retentionDays + 1 days.
 */
export function renderIsmPolicy(input: OpenSearchInput): object {
  validateOpenSearchInput(input);
  const policy = {
    default_state: "hot",
    states: [
      { name: "hot", actions: [], transitions: [{ state_name: "delete", conditions: { min_index_age: `${input.retentionDays}d` } }] },
      { name: "delete", actions: [{ delete: {} }], transitions: [] },
    ],
    ism_template: [{ index_patterns: [logIndexPattern(input)], priority: 100 }],
  };
  return { policy: { description: `Deletes ${logIndexPattern(input)} ${input.retentionDays} days after creation (pulumi-observability ${contentHash(policy)})`, ...policy } };
}

/**
 * The composable index template (body of `PUT _index_template/<indexTemplateName>`) of the log
 * indices, with the fields of the collector's opensearch exporter (its SS4O log document:
 * `@timestamp`, `observedTimestamp`, `body`, `severity.text`/`.number`, `traceId`, `spanId`,
 * `resource.*`, `attributes.*`, `instrumentationScope.*`). One shard, no replica: one node.
 */
export function renderIndexTemplate(input: OpenSearchInput): object {
  validateOpenSearchInput(input);
  const keyword = { type: "keyword", ignore_above: 1024 };
  const template = {
    index_patterns: [logIndexPattern(input)],
    priority: 100,
    template: {
      settings: { "index.number_of_shards": 1, "index.number_of_replicas": 0, "index.refresh_interval": "5s" },
      mappings: {
        // Resource and log attributes are open-ended: their strings are keywords (filters, terms), not analysed text.
        dynamic_templates: [
          { resource_strings: { path_match: "resource.*", match_mapping_type: "string", mapping: keyword } },
          { attribute_strings: { path_match: "attributes.*", match_mapping_type: "string", mapping: keyword } },
        ],
        properties: {
          "@timestamp": { type: "date" },
          observedTimestamp: { type: "date" },
          body: { type: "text" },
          severity: { properties: { text: { type: "keyword" }, number: { type: "integer" } } },
          traceId: { type: "keyword" },
          spanId: { type: "keyword" },
          schemaUrl: { type: "keyword" },
          instrumentationScope: { properties: { name: keyword, version: keyword, schemaUrl: keyword } },
          resource: { properties: { service: { properties: { name: { type: "keyword" }, namespace: { type: "keyword" } } } } },
          attributes: { type: "object" },
        },
      },
    },
  };
  return { ...template, _meta: { managed_by: "pulumi-observability", content_hash: contentHash(template) } };
}

/**
 * opensearch_dashboards.yml: Dashboards on 0.0.0.0:5601 talking HTTPS to the node, verifying its
 * certificate against the stack's CA (full: chain and host name), basic auth through the security
 * plugin, no multi-tenancy. The server's own credentials come from the environment
 * (DASHBOARDS_ENV: OPENSEARCH_USERNAME / OPENSEARCH_PASSWORD), never from this file.
 */
export function renderDashboardsYml(input: { opensearchUrl: string; serverName: string }): string {
  if (!/^https:\/\//.test(input.opensearchUrl)) throw new Error(`opensearchUrl must be https:// (the node only speaks TLS), got ${JSON.stringify(input.opensearchUrl)}`);
  const config = {
    "server.host": "0.0.0.0",
    "server.port": DASHBOARDS_PORT,
    "server.name": input.serverName,
    "opensearch.hosts": [input.opensearchUrl],
    "opensearch.ssl.verificationMode": "full",
    "opensearch.ssl.certificateAuthorities": [`${DASHBOARDS_CERT_DIR}/root-ca.pem`],
    "opensearch.requestHeadersAllowlist": ["authorization", "securitytenant"],
    "opensearch_security.auth.type": "basicauth",
    "opensearch_security.multitenancy.enabled": false,
    "opensearch_security.readonly_mode.roles": ["kibana_read_only"],
    // Dashboards itself is served over plain HTTP inside the stack's network; a TLS proxy in front sets secure cookies.
    "opensearch_security.cookie.secure": false,
  };
  return HEADER("renderDashboardsYml") + `# ${DASHBOARDS_ENV.username} and ${DASHBOARDS_ENV.password} (environment) give the server's own login; no password is written here.\n` + dump(config);
}

/** Single quotes for sh: the value exactly, whatever it holds. */
function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The setup script (POSIX sh; the image has sh and curl), run beside the node. It waits until the
 * node answers (cluster health yellow or green), then installs the index template and the ISM
 * policy, each only when what is installed differs (it looks for the content hash the renderers
 * put in them): the template by PUT; the policy by create, or update guarded by `if_seq_no` /
 * `if_primary_term`, then attaches it to existing indices (`_plugins/_ism/add`, and
 * `change_policy` after an update). Any unexpected answer fails the script (exit 1).
 *
 * Environment:
 *   OPENSEARCH_ADMIN_PASSWORD_FILE  required: a file holding the admin password (never argv, never env)
 *   OPENSEARCH_URL                  default https://localhost:9200
 *   OPENSEARCH_CACERT               default OPENSEARCH_CERT_DIR/root-ca.pem
 *   OPENSEARCH_SETUP_TIMEOUT        seconds to wait for the node, default 300
 *   OPENSEARCH_SETUP_SKIP_ISM=1     skip the ISM step. Only for a node without the ISM plugin (the
 *                                   tests' node from Maven Central): log indices are then never deleted.
 */
export function renderSetupScript(input: OpenSearchInput): string {
  validateOpenSearchInput(input);
  const template = renderIndexTemplate(input) as { _meta: { content_hash: string } };
  const policy = renderIsmPolicy(input) as { policy: { description: string } };
  const policyHash = /pulumi-observability ([0-9a-f]{16})\)$/.exec(policy.policy.description)![1];
  const END = "PULUMI_OBSERVABILITY_JSON_END";
  return `#!/bin/sh
# Rendered by pulumi-observability (components/logs/opensearch-config.ts, renderSetupScript); edits are overwritten.
# Installs the log indices' template and ISM policy on the node, idempotently. See the renderer's doc for the environment.
set -eu

URL="\${OPENSEARCH_URL:-https://localhost:${OPENSEARCH_HTTP_PORT}}"
CACERT="\${OPENSEARCH_CACERT:-${OPENSEARCH_CERT_DIR}/root-ca.pem}"
TIMEOUT="\${OPENSEARCH_SETUP_TIMEOUT:-300}"
: "\${OPENSEARCH_ADMIN_PASSWORD_FILE:?must name a file holding the admin password}"
TEMPLATE_NAME=${shQuote(indexTemplateName(input))}
TEMPLATE_HASH=${shQuote(template._meta.content_hash)}
POLICY_ID=${shQuote(ismPolicyId(input))}
POLICY_HASH=${shQuote(policyHash)}
INDEX_PATTERN=${shQuote(logIndexPattern(input))}

log() { printf 'opensearch-setup: %s\\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

umask 077
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT INT TERM

# The password goes to curl in a config file (mode 600), never on its command line.
[ -r "$OPENSEARCH_ADMIN_PASSWORD_FILE" ] || fail "cannot read $OPENSEARCH_ADMIN_PASSWORD_FILE"
PASSWORD="$(cat "$OPENSEARCH_ADMIN_PASSWORD_FILE")"
ESCAPED="$(printf '%s' "$PASSWORD" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g')"
printf 'user = "%s:%s"\\n' ${shQuote(OPENSEARCH_USERS.admin)} "$ESCAPED" > "$WORK/curlrc"
unset PASSWORD ESCAPED

cat > "$WORK/template.json" <<'${END}'
${JSON.stringify(template)}
${END}
cat > "$WORK/policy.json" <<'${END}'
${JSON.stringify(policy)}
${END}
printf '{"policy_id":"%s"}' "$POLICY_ID" > "$WORK/policy-id.json"

# req METHOD PATH [BODY_FILE]: the HTTP status on stdout (000: no answer), the body in $WORK/body.
req() {
  if [ $# -ge 3 ]; then
    curl -sS -K "$WORK/curlrc" --cacert "$CACERT" -o "$WORK/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' --data-binary "@$3" "$URL$2" 2>"$WORK/curl-err" || true
  else
    curl -sS -K "$WORK/curlrc" --cacert "$CACERT" -o "$WORK/body" -w '%{http_code}' -X "$1" "$URL$2" 2>"$WORK/curl-err" || true
  fi
}
expect() { # expect STATUS WHAT ALLOWED...
  status="$1"; what="$2"; shift 2
  for ok in "$@"; do [ "$status" = "$ok" ] && return 0; done
  fail "$what: HTTP $status $(cat "$WORK/body" "$WORK/curl-err" 2>/dev/null | head -c 2000)"
}

log "waiting for $URL (up to $TIMEOUT s)"
start="$(date +%s)"
while :; do
  status="$(req GET '/_cluster/health?wait_for_status=yellow&timeout=5s')"
  [ "$status" = 200 ] && break
  [ $(( $(date +%s) - start )) -ge "$TIMEOUT" ] && fail "node not ready after $TIMEOUT s: HTTP $status $(cat "$WORK/body" "$WORK/curl-err" 2>/dev/null | head -c 500)"
  sleep 2
done
log "node ready"

status="$(req GET "/_index_template/$TEMPLATE_NAME")"
expect "$status" "get index template" 200 404
if [ "$status" = 200 ] && grep -q "$TEMPLATE_HASH" "$WORK/body"; then
  log "index template $TEMPLATE_NAME unchanged"
else
  status="$(req PUT "/_index_template/$TEMPLATE_NAME" "$WORK/template.json")"
  expect "$status" "put index template" 200
  log "index template $TEMPLATE_NAME installed (applies to indices created from now on)"
fi

if [ "\${OPENSEARCH_SETUP_SKIP_ISM:-}" = 1 ]; then
  log "ISM SKIPPED (OPENSEARCH_SETUP_SKIP_ISM=1): $INDEX_PATTERN will never be deleted"
  exit 0
fi

status="$(req GET "/_plugins/_ism/policies/$POLICY_ID")"
expect "$status" "get ISM policy" 200 404
if [ "$status" = 404 ]; then
  status="$(req PUT "/_plugins/_ism/policies/$POLICY_ID" "$WORK/policy.json")"
  expect "$status" "create ISM policy" 201 200
  log "ISM policy $POLICY_ID created"
elif grep -q "$POLICY_HASH" "$WORK/body"; then
  log "ISM policy $POLICY_ID unchanged"
else
  seq_no="$(sed -n 's/.*"_seq_no":\\([0-9]*\\).*/\\1/p' "$WORK/body")"
  primary_term="$(sed -n 's/.*"_primary_term":\\([0-9]*\\).*/\\1/p' "$WORK/body")"
  [ -n "$seq_no" ] && [ -n "$primary_term" ] || fail "ISM policy $POLICY_ID: no _seq_no/_primary_term in $(head -c 500 "$WORK/body")"
  status="$(req PUT "/_plugins/_ism/policies/$POLICY_ID?if_seq_no=$seq_no&if_primary_term=$primary_term" "$WORK/policy.json")"
  expect "$status" "update ISM policy" 200
  # Indices already managed move to the new version of the policy.
  status="$(req POST "/_plugins/_ism/change_policy/$INDEX_PATTERN" "$WORK/policy-id.json")"
  expect "$status" "change policy of $INDEX_PATTERN" 200
  log "ISM policy $POLICY_ID updated"
fi
# Indices created before the policy existed are not managed: attach it (managed ones are reported and left alone).
status="$(req POST "/_plugins/_ism/add/$INDEX_PATTERN" "$WORK/policy-id.json")"
expect "$status" "attach ISM policy to $INDEX_PATTERN" 200
log "done"
`;
}
