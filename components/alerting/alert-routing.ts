import * as pulumi from "@pulumi/pulumi";
import { alertmanagerSpec, alertmanagerPorts } from "./workloads";
import { AlertingConfig, AlertingSecrets } from "./config";
import { jobNames } from "../metrics/job-names";
import { StackConfig } from "../stack/config-schema";
import { Platform, ScrapeEndpoint, WorkloadSpec } from "../platform/types";
import { renderAlertmanagerConfig } from "./alertmanager-config";
import { ScrapeJob } from "../metrics/prometheus-config";

export interface AlertRoutingArgs {
  /** Where Alertmanager runs. */
  platform: Platform;
  /** The one routing definition (validated: `parseAlerting` or the stack config). */
  routing: AlertingConfig;
  /** Receiver credentials keyed `<receiver>.<integration>[i]` (and `smtp`); kept secret end to end. */
  secrets: pulumi.Input<AlertingSecrets>;
  /** Alertmanager settings: replicas, retention, storage, host port, resources. */
  alertmanager: StackConfig["alertmanager"];
}

/**
 * Alertmanager with the stack's routing. Prometheus is wired to every replica (`alertmanagers`)
 * and scrapes them (`scrapeJobs`). The same routing reaches Grafana as contact points and a
 * notification policy through `GrafanaStack`'s `alerting` argument.
 */
export class AlertRouting extends pulumi.ComponentResource {
  /** Every Alertmanager replica, for Prometheus' `alerting:` section. */
  public readonly alertmanagers: ScrapeEndpoint[];
  /** Scrape jobs for Prometheus. */
  public readonly scrapeJobs: ScrapeJob[];
  /** `host:port` of Alertmanager for the stack's other workloads (Grafana's datasource, Loki's ruler). */
  public readonly address: string;
  /** The Alertmanager UI from where `pulumi up` runs (Docker), or its in-cluster URL. */
  public readonly url: pulumi.Output<string>;
  /** The rendered alertmanager.yml: it holds credentials, so it is a secret. */
  public readonly configText: pulumi.Output<string>;
  public readonly workloads: WorkloadSpec[] = [];

  constructor(name: string, args: AlertRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability:index:AlertRouting", name, {}, opts);
    const { platform, routing } = args;
    const secrets = pulumi.secret(pulumi.output(args.secrets));
    this.configText = pulumi.secret(secrets.apply((s) => renderAlertmanagerConfig(routing, s)));

    // Peer addresses are a function of the spec, so they are computed from a spec without them.
    const draft = alertmanagerSpec(args.alertmanager, this.configText, []);
    const peers = args.alertmanager.replicas > 1 ? platform.peerAddresses(draft, "cluster") : [];
    const spec = alertmanagerSpec(args.alertmanager, this.configText, peers);
    this.workloads.push(spec);
    const deployed = platform.deploy(spec, this);

    this.alertmanagers = [deployed.scrapeEndpoint("http")];
    this.scrapeJobs = [{ kind: "targets", name: jobNames.alertmanager, endpoint: deployed.scrapeEndpoint("http") }];
    this.address = deployed.address("http");
    this.url = pulumi.output(deployed.publicUrl("http") ?? `http://${this.address}`);

    this.registerOutputs({ url: this.url });
  }
}

export { alertmanagerPorts };
