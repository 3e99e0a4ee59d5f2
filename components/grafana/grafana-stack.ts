import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as grafana from "@pulumiverse/grafana";
import { DashboardLoadError } from "../../dashboards";
import { AlertingConfig, AlertingSecrets, SMTP_SECRET_KEY } from "../alerting/config";
import { GrafanaConfig } from "./config";
import { jobNames } from "../metrics/job-names";
import { grafanaSpec } from "./workloads";
import { withoutDebugStackTraces } from "../platform/stack-traces";
import { Platform, WorkloadSpec } from "../platform/types";
import { renderGrafanaContactPoints, renderGrafanaMuteTimings, renderGrafanaPolicy } from "../alerting/alertmanager-config";
import { DashboardPlan, DatasourcePlan, DatasourceUrls, folderUid, grafanaDatasources, OPENSEARCH_PLUGIN, planDashboards } from "./provisioning";
import { ScrapeJob } from "../metrics/prometheus-types";
import { DeployedParts } from "../rules/rule-files";

export interface GrafanaStackArgs {
  /** Where Grafana runs in `deploy` mode: a `DockerPlatform` or a `KubernetesPlatform`. Unused in `existing` mode. */
  platform: Platform;
  /**
   * Grafana settings, validated (`grafanaSchema` + `grafanaIssues`). Plain values: the mode decides
   * which resources exist. `enabled` must be true (create no GrafanaStack otherwise).
   */
  grafana: GrafanaConfig;
  /** The admin password of a deployed Grafana (made a Pulumi secret). Default: a generated 32-character `RandomPassword`, kept in state. */
  adminPassword?: pulumi.Input<string>;
  /** A service account token (Admin role) of the existing Grafana; required in `existing` mode. Default none. */
  token?: pulumi.Input<string>;
  /**
   * In-network URLs Grafana itself uses (`http://prometheus:9090`): one datasource per URL given,
   * with stable uids. Default none given: no datasources, and only dashboards needing none.
   */
  datasources?: DatasourceUrls;
  /** The OpenSearch datasource's secure data: the read-only user's password and the CA (both kept secret). Required with `datasources.opensearch`. */
  opensearch?: { password: pulumi.Input<string>; caCert: pulumi.Input<string> };
  /**
   * The alert routing, pushed as Grafana contact points, mute timings and notification policy so
   * that Grafana-managed alerts route like Alertmanager's. Default none: Grafana's routing is left
   * as it is. NOTE: Grafana has one notification policy tree per organisation; in `existing` mode
   * this REPLACES the existing Grafana's tree.
   */
  alerting?: { config: AlertingConfig; secrets: pulumi.Input<AlertingSecrets> };
  /**
   * The dashboards to push, already planned and validated for these datasources (`ObservabilityStack`
   * does so with `validateStack` before it registers anything). Default: planned here from
   * `datasources` and `grafana.dashboardsDir` (`planDashboards`), before this component is registered.
   */
  dashboardPlan?: DashboardPlan;
  /**
   * The parts the stack deploys (`deployedPartsOf(config)`), when the plan is made here: only their
   * dashboards and dashboard rows are pushed. Default every part. Unused with `dashboardPlan`.
   */
  parts?: DeployedParts;
  /** Push the example business dashboard too, when the plan is made here. Default false. */
  includeExamples?: boolean;
}

/**
 * Grafana with everything in it: in `deploy` mode a Grafana server (persistent `/var/lib/grafana`,
 * secure defaults) on the platform; in `existing` mode a Grafana that runs elsewhere. Either way the
 * `@pulumiverse/grafana` provider, which runs where `pulumi up` runs, pushes the same datasources
 * (with trace/log/metric links), folders, dashboards and alert routing.
 *
 * Ordering: a deployed Grafana's provider depends on the workload's resources, and those are only
 * created once Grafana is healthy (Docker waits on the container's healthcheck, Kubernetes' await
 * on the StatefulSet's readiness), so nothing is pushed to a Grafana that is still starting.
 * On Kubernetes `grafana.url` must reach the pod from where `pulumi up` runs: an ingress works on the
 * first `up`; a port-forward can only be opened once the pod exists (a second `up`, or `--target`).
 */
export class GrafanaStack extends pulumi.ComponentResource {
  /** The URL the provider uses, and users open. */
  public readonly url: pulumi.Output<string>;
  /** The admin password of a deployed Grafana (secret); undefined in `existing` mode. */
  public readonly adminPassword: pulumi.Output<string | undefined>;
  /** The provider every Grafana resource of this component uses. */
  public readonly provider: grafana.Provider;
  /** Prometheus' job for a deployed Grafana's `/metrics`; none in `existing` mode (it may not be reachable). */
  public readonly scrapeJobs: ScrapeJob[];
  /** The workload this component deployed (none for an existing Grafana), for footprint accounting. */
  public readonly workloads: WorkloadSpec[] = [];
  /** Folders by title, one per area that holds a dashboard, created with their first dashboard. */
  private readonly folders = new Map<string, grafana.oss.Folder>();
  private push!: { name: string; child: pulumi.CustomResourceOptions; datasources: pulumi.Resource[] };
  /** The datasources pushed, in order. */
  public readonly datasourcePlan: DatasourcePlan[];
  /** The dashboards pushed and the built-in ones skipped (their part is not deployed, a datasource they read is not in the stack, or an example). */
  public readonly dashboardPlan: DashboardPlan;

  constructor(name: string, args: GrafanaStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Every check before anything is registered, this component included. The loader has checked
    // the config with config paths (`grafanaIssues`); these guard library callers.
    const cfg = args.grafana;
    if (!cfg.enabled) throw new Error(`${name}: grafana.enabled is false; create no GrafanaStack then`);
    if (cfg.mode === "existing") {
      if (cfg.url === undefined) throw new Error(`${name}: grafana.url is required when grafana.mode is existing`);
      if (args.token === undefined) throw new Error(`${name}: token is required when grafana.mode is existing (a service account token with the Admin role)`);
    } else if (cfg.url === undefined && args.platform.kind === "kubernetes") {
      // The one look at the platform's kind, mirroring `grafanaIssues`: nothing is published on a node.
      throw new Error(`${name}: grafana.url is required on Kubernetes: the Grafana provider must reach Grafana from where pulumi up runs`);
    }
    const datasourcePlan = grafanaDatasources(args.datasources ?? {});
    let dashboardPlan: DashboardPlan;
    try {
      dashboardPlan = args.dashboardPlan ?? planDashboards({
        datasourceUids: datasourcePlan.map((d) => d.uid),
        tracesBackend: args.datasources?.tracesBackend,
        dashboardsDir: cfg.dashboardsDir,
        parts: args.parts,
        includeExamples: args.includeExamples,
      });
    } catch (e) {
      if (!(e instanceof DashboardLoadError)) throw e;
      throw new Error(`${name}: dashboards are not valid, nothing was pushed:\n${e.problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    const alerting = args.alerting
      ? {
          muteTimings: renderGrafanaMuteTimings(args.alerting.config),
          policy: renderGrafanaPolicy(args.alerting.config),
          contactPoints: renderGrafanaContactPoints(args.alerting.config, secretLookup(name, args.alerting.secrets)),
        }
      : undefined;

    super("observability:index:GrafanaStack", name, {}, opts);
    this.datasourcePlan = datasourcePlan;
    this.dashboardPlan = dashboardPlan;

    if (cfg.mode === "deploy") {
      const password = pulumi.secret(
        args.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: this }).result,
      );
      // Grafana mails through its own [smtp] settings: the alert routing's global SMTP, when there is one.
      const smtp = args.alerting?.config.smtp;
      // A datasource type Grafana does not bundle is installed at start, at its pinned version.
      const plugins = datasourcePlan.some((d) => d.type === OPENSEARCH_PLUGIN.id) ? [`${OPENSEARCH_PLUGIN.id}@${OPENSEARCH_PLUGIN.version}`] : [];
      const spec = grafanaSpec(
          cfg,
          password,
          smtp && args.alerting
            ? {
                host: smtp.smarthost,
                from: smtp.from,
                user: smtp.authUsername,
                password: smtp.authUsername !== undefined ? secretLookup(name, args.alerting.secrets)(SMTP_SECRET_KEY) : undefined,
                requireTls: smtp.requireTls,
              }
            : undefined,
          plugins,
      );
      this.workloads.push(spec);
      const deployed = args.platform.deploy(spec, this);
      this.url = pulumi.output(cfg.url ?? deployed.publicUrl("http")!);
      this.adminPassword = password;
      this.provider = new grafana.Provider(
        name,
        { url: this.url, auth: pulumi.secret(pulumi.interpolate`${cfg.adminUser}:${password}`) },
        // After the workload: its resources are only created once Grafana is healthy.
        { parent: this, dependsOn: deployed.resources },
      );
      this.scrapeJobs = [{ kind: "targets", name: jobNames.grafana, endpoint: deployed.scrapeEndpoint("http") }];
    } else {
      this.url = pulumi.output(cfg.url!);
      this.adminPassword = pulumi.secret(pulumi.output<string | undefined>(undefined));
      this.provider = new grafana.Provider(name, { url: this.url, auth: pulumi.secret(args.token!) }, { parent: this });
      this.scrapeJobs = [];
    }
    const child = { parent: this, provider: this.provider };

    const datasources = datasourcePlan.map(
      (d) =>
        new grafana.oss.DataSource(
          `${name}-datasource-${d.uid}`,
          {
            name: d.name,
            type: d.type,
            uid: d.uid,
            url: d.url,
            isDefault: d.isDefault,
            accessMode: "proxy",
            jsonDataEncoded: JSON.stringify(d.jsonData),
            ...(d.basicAuthUser !== undefined ? { basicAuthEnabled: true, basicAuthUsername: d.basicAuthUser } : {}),
            ...(d.secure === "opensearch" ? { secureJsonDataEncoded: opensearchSecureData(name, args.opensearch) } : {}),
          },
          child,
        ),
    );

    this.push = { name, child, datasources };
    for (const d of dashboardPlan.dashboards) this.addDashboard({ uid: d.uid, folder: d.folder, json: d.build() });

    if (alerting) {
      const muteTimings = alerting.muteTimings.map((m) => new grafana.alerting.MuteTiming(`${name}-mute-timing-${m.name}`, m, child));
      const contactPoints = alerting.contactPoints.map((c) => new grafana.alerting.ContactPoint(`${name}-contact-point-${c.name}`, c, child));
      // The policy names contact points and mute timings: Grafana rejects it until they exist.
      new grafana.alerting.NotificationPolicy(`${name}-notification-policy`, alerting.policy, { ...child, dependsOn: [...contactPoints, ...muteTimings] });
    }

    this.registerOutputs({ url: this.url, adminPassword: this.adminPassword });
  }

  /**
   * Pushes a dashboard into its folder (created with its first dashboard). Used for the built-in
   * and user dashboards.
   */
  addDashboard(d: DashboardSpec): grafana.oss.Dashboard {
    return this.pushDashboards([d])[0];
  }

  /**
   * Pushes dashboards known only later, once `dashboards` resolves: those of the services
   * `ObservabilityStack.monitorService` adds, known when the stack is sealed.
   */
  addDashboardsLater(dashboards: Promise<DashboardSpec[]>): void {
    void dashboards.then(this.pushDashboards);
  }

  private readonly pushDashboards = (list: readonly DashboardSpec[]): grafana.oss.Dashboard[] => {
    const { name, child, datasources } = this.push;
    return withoutDebugStackTraces(() => {
      const out: grafana.oss.Dashboard[] = [];
      for (const d of list) {
        let folder = this.folders.get(d.folder);
        if (!folder) {
          const uid = folderUid(d.folder);
          folder = new grafana.oss.Folder(`${name}-folder-${uid}`, { uid, title: d.folder }, child);
          this.folders.set(d.folder, folder);
        }
        out.push(
          new grafana.oss.Dashboard(
            `${name}-dashboard-${d.uid}`,
            // The folder's uid Output, not the literal: the dashboard waits for its folder.
            { configJson: JSON.stringify(d.json), folder: folder.uid, overwrite: true },
            { ...child, dependsOn: datasources },
          ),
        );
      }
      return out;
    });
  };
}

/** A dashboard to push: its stable uid, its folder's title, its JSON model. */
export interface DashboardSpec {
  uid: string;
  folder: string;
  json: object;
}

/** A receiver credential (`oncall.pagerduty[0]`) as a secret Output; a missing key fails naming it. */
/** The OpenSearch datasource's `secureJsonData`: basic-auth password and the CA, as one secret JSON text. */
function opensearchSecureData(name: string, secrets: GrafanaStackArgs["opensearch"]): pulumi.Output<string> {
  if (secrets === undefined) throw new Error(`${name}: the OpenSearch datasource needs its password and CA (opensearch)`);
  return pulumi.secret(pulumi.all([secrets.password, secrets.caCert]).apply(([basicAuthPassword, tlsCACert]) => JSON.stringify({ basicAuthPassword, tlsCACert })));
}

function secretLookup(name: string, secrets: pulumi.Input<AlertingSecrets>): (key: string) => pulumi.Output<string> {
  return (key) =>
    pulumi.secret(
      pulumi.output(secrets).apply((s) => {
        const value = s[key];
        if (value === undefined) throw new Error(`${name}: alerting secret "${key}" is missing (observability:alertingSecrets)`);
        return value;
      }),
    );
}
