import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ErrorTrackingConfig } from "./config";
import { DeployedWorkload, hostOf, Platform, WorkloadSpec } from "../platform/types";
import { databaseUrl, defaultFromEmail, dsnTemplate, GLITCHTIP_HEALTH_PATH, glitchtipEnv, renderValkeyConfig, valkeyUrl } from "./glitchtip-config";
import { GlitchtipSecretEnv, glitchtipPostgresSpec, glitchtipValkeySpec, glitchtipWebSpec, glitchtipWorkerSpec } from "./workloads";
import { jobNames } from "../metrics/job-names";

export interface ErrorTrackingArgs {
  /** Where the workloads run: a `DockerPlatform` or a `KubernetesPlatform`. */
  platform: Platform;
  /** `errorTracking`, validated (`errorTrackingSchema` + `errorTrackingIssues`). */
  errorTracking: ErrorTrackingConfig;
  /** Django's SECRET_KEY, a Pulumi secret. Required. */
  secretKey: pulumi.Input<string>;
  /** The admin account's password. Default: a generated 32-character `RandomPassword`, kept in state. */
  adminPassword?: pulumi.Input<string>;
  /** Your PostgreSQL, when `database.bundled` is false. */
  databaseUrl?: pulumi.Input<string>;
  /** Your Valkey or Redis, when `valkey.bundled` is false. */
  valkeyUrl?: pulumi.Input<string>;
  /** SMTP for notification emails. Default `consolemail://`: emails go to the worker's log. */
  emailUrl?: pulumi.Input<string>;
}

/**
 * GlitchTip, the Sentry-compatible error tracker: its web and worker processes, and its PostgreSQL
 * and Valkey unless yours are given. Every credential is a Pulumi secret; the bundled database and
 * Valkey passwords are generated and never leave the stack.
 */
export class ErrorTracking extends pulumi.ComponentResource {
  /** GlitchTip's URL (`errorTracking.url`, or the published port on Docker, or the Service on Kubernetes). */
  public readonly url: string;
  /** The DSN's shape for an application's Sentry SDK: `<scheme>://<project key>@<host>/<project id>`. */
  public readonly dsnTemplate: string;
  /** The admin account's email and password (a secret). */
  public readonly adminEmail: string;
  public readonly adminPassword: pulumi.Output<string>;
  /** The blackbox probe of GlitchTip's health page: `probes` of the PrometheusStack. */
  public readonly probes: { name: string; module: "http"; targets: string[] }[];
  public readonly workloads: WorkloadSpec[] = [];

  constructor(name: string, args: ErrorTrackingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("observability:index:ErrorTracking", name, {}, opts);
    const cfg = args.errorTracking;
    if (cfg.adminEmail === undefined) throw new Error(`${name}: errorTracking.adminEmail is required`);
    if (!cfg.database.bundled && args.databaseUrl === undefined) throw new Error(`${name}: databaseUrl is required when errorTracking.database.bundled is false`);
    if (!cfg.valkey.bundled && args.valkeyUrl === undefined) throw new Error(`${name}: valkeyUrl is required when errorTracking.valkey.bundled is false`);
    const deploy = (spec: WorkloadSpec): DeployedWorkload => {
      this.workloads.push(spec);
      return args.platform.deploy(spec, this);
    };
    const generated = (what: string) => new random.RandomPassword(`${name}-${what}`, { length: 32, special: false }, { parent: this }).result;

    const dbUrl = cfg.database.bundled
      ? (() => {
          const password = generated("postgres-password");
          const db = deploy(glitchtipPostgresSpec(cfg, password));
          return pulumi.secret(pulumi.output(password).apply((p) => databaseUrl(p, db.address("postgres"))));
        })()
      : pulumi.secret(args.databaseUrl!);
    const queueUrl = cfg.valkey.bundled
      ? (() => {
          const password = generated("valkey-password");
          const valkey = deploy(glitchtipValkeySpec(cfg, pulumi.secret(pulumi.output(password).apply(renderValkeyConfig))));
          return pulumi.secret(pulumi.output(password).apply((p) => valkeyUrl(p, valkey.address("valkey"))));
        })()
      : pulumi.secret(args.valkeyUrl!);
    this.adminEmail = cfg.adminEmail;
    this.adminPassword = pulumi.secret(args.adminPassword ?? generated("admin-password"));

    const secretEnv: GlitchtipSecretEnv = {
      SECRET_KEY: pulumi.secret(args.secretKey),
      DATABASE_URL: dbUrl,
      VALKEY_URL: queueUrl,
      EMAIL_URL: pulumi.secret(args.emailUrl ?? "consolemail://"),
      DJANGO_SUPERUSER_PASSWORD: this.adminPassword,
    };
    // The URL is in every DSN GlitchTip shows, so it is needed before the web process is placed;
    // the in-network name too (the health probe's Host header).
    const draft = glitchtipWebSpec(cfg, {}, secretEnv);
    const url = cfg.url ?? args.platform.urlOf(draft, "http");
    const env = glitchtipEnv({
      url,
      fromEmail: cfg.fromEmail ?? defaultFromEmail(url),
      eventRetentionDays: cfg.eventRetentionDays,
      openRegistration: cfg.openRegistration,
      adminEmail: cfg.adminEmail,
      internalHosts: [hostOf(args.platform.addressOf(draft, "http"))],
    });
    const web = deploy(glitchtipWebSpec(cfg, env, secretEnv));
    deploy(glitchtipWorkerSpec(cfg, env, secretEnv));
    this.url = url;
    this.dsnTemplate = dsnTemplate(url);
    const health = `http://${web.address("http")}${GLITCHTIP_HEALTH_PATH}`;
    this.probes = [{ name: jobNames.glitchtip, module: "http", targets: [health] }];
    this.registerOutputs({ url: this.url, dsnTemplate: this.dsnTemplate });
  }
}

