import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { LogsConfig } from "./config";
import { durationSeconds } from "../metrics/prometheus-config";
import { DeployedWorkload, DiscoverySpec, hostOf, Platform, WorkloadSpec } from "../platform/types";
import { ScrapeJob } from "../metrics/prometheus-types";
import { jobNames } from "../metrics/job-names";
import {
  collectorLogsIndex,
  logIndexPattern,
  OpenSearchInput,
  OPENSEARCH_USERS,
  renderDashboardsYml,
  renderOpenSearchYml,
  renderSecurityFiles,
  renderSetupScript,
  SECURITY_FILE_NAMES,
} from "./opensearch-config";
import { LogFiles, renderLogAgentConfig } from "./log-agent-config";
import { dashboardsSpec, logAgentSpec, opensearchSpec } from "./workloads";

/** Where the runtimes keep container logs. */
const DOCKER_LOGS = "/var/lib/docker/containers";
const KUBERNETES_LOGS = "/var/log/pods";
/** The log agent's read positions and export queue. */
const AGENT_STORAGE = { volume: "/var/lib/otelcol/storage", pod: "/tmp/otelcol-storage" } as const;
const INDEX_PREFIX = "logs";
const SUBJECT = { organization: "pulumi-observability" };

export interface OpenSearchStackArgs {
  platform: Platform;
  /** `logs`, validated, with `backend: opensearch`. */
  logs: LogsConfig;
  /** The stack's name (`cluster.name` is `<name>-logs`). */
  stackName: string;
  /** The platform's discovery, when another component already asked for it. */
  discovery?: DiscoverySpec;
}

/**
 * The OpenSearch logs backend: one OpenSearch node with the security plugin (TLS on HTTP and
 * transport from a CA the stack generates, four internal users with generated passwords), OpenSearch
 * Dashboards, and the log agent (the collector's filelog receiver) on every node, writing daily
 * indices that an ISM policy deletes after `logs.retention`.
 */
export class OpenSearchStack extends pulumi.ComponentResource {
  /** `https://host:port` of OpenSearch for the stack's workloads. */
  public readonly opensearchUrl: string;
  /** OpenSearch's URL from where `pulumi up` runs (Docker), or its in-cluster URL (Kubernetes). */
  public readonly url: pulumi.Output<string>;
  /** OpenSearch Dashboards' URL, when deployed. */
  public readonly dashboardsUrl?: pulumi.Output<string>;
  /** The index pattern of the log indices (`logs-otel-*`), for the Grafana datasource. */
  public readonly indexPattern: string;
  /** The read-only user Grafana's datasource logs in as, and its password (a secret). */
  public readonly reader: { username: string; password: pulumi.Output<string> };
  /** The admin password (a secret), for break-glass and the stack's outputs. */
  public readonly adminPassword: pulumi.Output<string>;
  /** The CA that signed OpenSearch's certificate, for clients. */
  public readonly caCert: pulumi.Output<string>;
  /** The log agent's own metrics; OpenSearch's reachability is a probe (`probes`). */
  public readonly scrapeJobs: ScrapeJob[];
  /** Blackbox probes for the PrometheusStack: a TCP connect to OpenSearch's REST port. */
  public readonly probes: { name: string; module: "tcp"; targets: string[] }[];
  public readonly workloads: WorkloadSpec[] = [];

  constructor(name: string, args: OpenSearchStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability:index:OpenSearchStack", name, {}, opts);
    const { platform, logs } = args;
    const cfg = logs.opensearch;
    const deploy = (spec: WorkloadSpec): DeployedWorkload => {
      this.workloads.push(spec);
      return platform.deploy(spec, this);
    };
    const password = (who: string) => new random.RandomPassword(`${name}-${who}-password`, { length: 32, special: false }, { parent: this }).result;
    const passwords = { adminPassword: password("admin"), writerPassword: password("writer"), readerPassword: password("reader"), dashboardsPassword: cfg.dashboards.enabled ? password("dashboards") : undefined };

    const input: OpenSearchInput = {
      clusterName: `${args.stackName}-logs`,
      nodeName: "opensearch-0",
      nodeDn: "CN=opensearch,O=pulumi-observability",
      adminDn: "CN=admin,O=pulumi-observability",
      retentionDays: durationSeconds(logs.retention) / 86400,
      indexPrefix: INDEX_PREFIX,
    };

    // The names clients use: the Service (or Docker alias), the node's own pod name, localhost for the setup script.
    const placeholder = opensearchSpec(cfg, { configYml: "", securityFiles: {}, setupScript: "", adminPassword: "", tls: { caCert: "", nodeCert: "", nodeKey: "", adminCert: "", adminKey: "" } });
    const dnsNames = [...new Set(["opensearch", "localhost", hostOf(platform.addressOf(placeholder, "http")), ...platform.peerAddresses(placeholder, "http").map(hostOf)])].filter((n) => !/^[\d.]+$/.test(n));
    const tlsMaterial = certificates(name, this, dnsNames);

    const securityFiles = pulumi.all([passwords.adminPassword, passwords.writerPassword, passwords.readerPassword, passwords.dashboardsPassword]).apply(([adminPassword, writerPassword, readerPassword, dashboardsPassword]) =>
      renderSecurityFiles({ adminPassword, writerPassword, readerPassword, ...(dashboardsPassword !== undefined ? { dashboardsPassword } : {}) }, args.stackName, input),
    );
    // Known only once the passwords are: each file's content is an Output; internal_users.yml is a secret file.
    const spec = opensearchSpec(cfg, {
      configYml: renderOpenSearchYml(input),
      securityFiles: Object.fromEntries(SECURITY_FILE_NAMES.map((n) => [n, securityFiles.apply((f) => required(f, n))])),
      setupScript: renderSetupScript(input),
      adminPassword: pulumi.secret(passwords.adminPassword),
      tls: tlsMaterial,
    });
    const opensearch = deploy(spec);
    this.opensearchUrl = `https://${opensearch.address("http")}`;
    this.url = pulumi.output((opensearch.publicUrl("http") ?? `http://${opensearch.address("http")}`).replace(/^http:/, "https:"));
    this.indexPattern = logIndexPattern(input);
    this.reader = { username: OPENSEARCH_USERS.reader, password: pulumi.secret(passwords.readerPassword) };
    this.adminPassword = pulumi.secret(passwords.adminPassword);
    this.caCert = pulumi.output(tlsMaterial.caCert);

    if (cfg.dashboards.enabled) {
      const dashboards = deploy(dashboardsSpec(cfg.dashboards, {
        configYml: renderDashboardsYml({ opensearchUrl: this.opensearchUrl, serverName: `${args.stackName}-dashboards` }),
        caCert: tlsMaterial.caCert,
        password: pulumi.secret(passwords.dashboardsPassword!),
      }));
      this.dashboardsUrl = pulumi.output(dashboards.publicUrl("http") ?? `http://${dashboards.address("http")}`);
    }

    // The agent reads what the platform's runtime writes: Docker's json-file logs, or the kubelet's CRI files.
    const discovery = args.discovery ?? platform.discovery(this);
    const files: LogFiles = discovery.kind === "docker" ? { kind: "docker", root: DOCKER_LOGS } : { kind: "kubernetes", root: KUBERNETES_LOGS, ownNamespace: "" };
    const storageDir = files.kind === "docker" ? AGENT_STORAGE.volume : AGENT_STORAGE.pod;
    const agentSpec = (text: string) => logAgentSpec(cfg.agent, files, { text, password: pulumi.secret(passwords.writerPassword), caCert: tlsMaterial.caCert }, storageDir);
    // Its own pods' logs are not read: their namespace (the node agents') is the one of its Service.
    if (files.kind === "kubernetes") files.ownNamespace = hostOf(platform.addressOf(agentSpec(""), "health")).split(".")[1];
    const agentConfig = renderLogAgentConfig({ files, opensearchUrl: this.opensearchUrl, username: OPENSEARCH_USERS.writer, indexPrefix: collectorLogsIndex(input).logs_index, storageDir });
    const agent = deploy(agentSpec(agentConfig));

    this.scrapeJobs = [{ kind: "targets", name: jobNames.logAgent, endpoint: agent.scrapeEndpoint("telemetry") }];
    this.probes = [{ name: jobNames.opensearch, module: "tcp", targets: [opensearch.address("http")] }];
    this.registerOutputs({ url: this.url, dashboardsUrl: this.dashboardsUrl });
  }
}

function required(files: Record<string, string>, name: string): string {
  const text = files[name];
  if (text === undefined) throw new Error(`renderSecurityFiles rendered no ${name}`);
  return text;
}

/**
 * The stack's CA and the two certificates OpenSearch's security plugin needs: the node's (server
 * and client auth, the names clients use) and the admin's (the superuser DN). RSA 3072, in state
 * as secrets; the leaf certificates are re-issued by any `pulumi up` within 30 days of expiry.
 */
function certificates(name: string, parent: pulumi.Resource, dnsNames: string[]) {
  const opts = { parent };
  const key = (who: string) => new tls.PrivateKey(`${name}-${who}-key`, { algorithm: "RSA", rsaBits: 3072 }, opts);
  const caKey = key("ca");
  const ca = new tls.SelfSignedCert(`${name}-ca`, {
    privateKeyPem: caKey.privateKeyPem,
    subject: { ...SUBJECT, commonName: "pulumi-observability logs CA" },
    isCaCertificate: true,
    validityPeriodHours: 10 * 365 * 24,
    allowedUses: ["cert_signing", "crl_signing"],
  }, opts);
  const leaf = (who: string, commonName: string, uses: string[], names?: string[]) => {
    const k = key(who);
    const request = new tls.CertRequest(`${name}-${who}-csr`, {
      privateKeyPem: k.privateKeyPem,
      subject: { ...SUBJECT, commonName },
      ...(names ? { dnsNames: names, ipAddresses: ["127.0.0.1"] } : {}),
    }, opts);
    const cert = new tls.LocallySignedCert(`${name}-${who}-cert`, {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      validityPeriodHours: 365 * 24,
      earlyRenewalHours: 30 * 24,
      allowedUses: uses,
    }, opts);
    // The security plugin reads PKCS#8 keys only.
    return { cert: cert.certPem, key: pulumi.secret(k.privateKeyPemPkcs8) };
  };
  const node = leaf("node", "opensearch", ["digital_signature", "key_encipherment", "server_auth", "client_auth"], dnsNames);
  const admin = leaf("admin", "admin", ["digital_signature", "key_encipherment", "client_auth"]);
  return { caCert: ca.certPem, nodeCert: node.cert, nodeKey: node.key, adminCert: admin.cert, adminKey: admin.key };
}
