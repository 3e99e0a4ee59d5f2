import * as pulumi from "@pulumi/pulumi";
import { GrafanaConfig } from "./config";
import { ResourceSpec, WorkloadSpec } from "../platform/types";
import { images } from "../shared/versions";

/**
 * Pure builder of the GrafanaStack's workload: config in, `WorkloadSpec` out. Every setting is a
 * `GF_*` environment variable, so there is no config file; the secrets are files named by
 * `GF_*__FILE` variables. Datasources, folders and dashboards arrive later through the Grafana provider.
 */

export const GRAFANA_PORT = 3000;
/** Grafana's state: its SQLite database (users, sessions, dashboards' versions), plugins. */
export const GRAFANA_DATA_DIR = "/var/lib/grafana";
/** The `grafana` user of the image (the Helm chart runs it with this group too). */
export const GRAFANA_USER = { uid: 472, gid: 472 } as const;

/** The URL Grafana's `root_url` is set to when `grafana.url` is not given: the published port on the Docker host. */
export function defaultGrafanaUrl(cfg: Pick<GrafanaConfig, "hostPort">): string {
  return `http://127.0.0.1:${cfg.hostPort}`;
}

/**
 * The plain `GF_*` settings of a deployed Grafana, sorted. Secure defaults, each on purpose:
 * no self sign-up, no anonymous access, no outbound calls (usage reporting, update checks,
 * external snapshots, Gravatar), cookies marked Secure when served over https. The login form
 * stays: it is how the admin signs in.
 */
export function grafanaEnv(cfg: Pick<GrafanaConfig, "adminUser" | "hostPort" | "url">): Record<string, string> {
  const rootUrl = cfg.url ?? defaultGrafanaUrl(cfg);
  const env: Record<string, string> = {
    GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
    GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
    GF_ANALYTICS_REPORTING_ENABLED: "false",
    GF_AUTH_ANONYMOUS_ENABLED: "false",
    GF_AUTH_DISABLE_LOGIN_FORM: "false",
    // Prometheus scrapes /metrics (grafana_build_info, grafana_http_request_*: the stack-health dashboard).
    GF_METRICS_ENABLED: "true",
    GF_PATHS_DATA: GRAFANA_DATA_DIR,
    GF_SECURITY_ADMIN_USER: cfg.adminUser,
    GF_SECURITY_COOKIE_SECURE: String(new URL(rootUrl).protocol === "https:"),
    GF_SECURITY_DISABLE_GRAVATAR: "true",
    GF_SERVER_HTTP_PORT: String(GRAFANA_PORT),
    GF_SERVER_ROOT_URL: rootUrl,
    GF_SNAPSHOTS_EXTERNAL_ENABLED: "false",
    GF_USERS_ALLOW_SIGN_UP: "false",
  };
  return env;
}

/** Grafana's own mail server settings (its `[smtp]`): email contact points send through them. */
export interface GrafanaSmtp {
  /** `host:port`. */
  host: string;
  from: string;
  /** Default none: no authentication. */
  user?: string;
  /** Required with `user`; a secret file (`GF_SMTP_PASSWORD__FILE`). */
  password?: pulumi.Input<string>;
  /** STARTTLS mandatory (true) or opportunistic. */
  requireTls: boolean;
}

/**
 * Where Grafana's secrets are mounted. The image's entrypoint reads every `GF_<KEY>__FILE` into
 * `GF_<KEY>` before Grafana starts, so only the path is in the container's configuration: no
 * secret shows in `docker inspect` or in the pod spec.
 */
export const GRAFANA_SECRET_FILES = {
  adminPassword: "/run/secrets/grafana/admin-password",
  smtpPassword: "/run/secrets/grafana/smtp-password",
} as const;

/**
 * Grafana as a stateful workload. The admin password is a secret file (a Kubernetes Secret volume,
 * a secret upload on Docker) named by `GF_SECURITY_ADMIN_PASSWORD__FILE`; Grafana reads it only
 * when it creates its database, on first start.
 */
export function grafanaSpec(cfg: GrafanaConfig, adminPassword: pulumi.Input<string>, smtp?: GrafanaSmtp, plugins: string[] = []): WorkloadSpec {
  const smtpPassword = smtp?.user !== undefined && smtp.password !== undefined ? smtp.password : undefined;
  const smtpEnv: Record<string, string> = smtp
    ? {
        GF_SMTP_ENABLED: "true",
        GF_SMTP_FROM_ADDRESS: smtp.from,
        GF_SMTP_HOST: smtp.host,
        GF_SMTP_STARTTLS_POLICY: smtp.requireTls ? "MandatoryStartTLS" : "OpportunisticStartTLS",
        ...(smtp.user !== undefined ? { GF_SMTP_USER: smtp.user } : {}),
        ...(smtpPassword !== undefined ? { GF_SMTP_PASSWORD__FILE: GRAFANA_SECRET_FILES.smtpPassword } : {}),
      }
    : {};
  return {
    name: "grafana",
    component: "grafana",
    image: images.grafana,
    ports: [
      // `any` on Kubernetes: users come through an ingress controller in another namespace.
      { name: "http", port: GRAFANA_PORT, hostPort: cfg.hostPort, ingress: "any" },
    ],
    env: {
      ...grafanaEnv(cfg),
      GF_SECURITY_ADMIN_PASSWORD__FILE: GRAFANA_SECRET_FILES.adminPassword,
      ...smtpEnv,
      // `id@version`: installed into the data volume before Grafana serves (from grafana.com, or the
      // plugin's folder copied there beforehand on an air-gapped host).
      ...(plugins.length > 0 ? { GF_PLUGINS_PREINSTALL_SYNC: plugins.join(",") } : {}),
    },
    files: [
      { path: GRAFANA_SECRET_FILES.adminPassword, content: adminPassword, secret: true },
      ...(smtpPassword !== undefined ? [{ path: GRAFANA_SECRET_FILES.smtpPassword, content: smtpPassword, secret: true }] : []),
    ],
    volume: { mountPath: GRAFANA_DATA_DIR, size: cfg.storageSize },
    // /api/health answers 200 once the database is migrated; the first start migrates for a while.
    probe: { http: { path: "/api/health", port: GRAFANA_PORT }, initialDelaySeconds: 30 },
    resources: cfg.resources as ResourceSpec,
    user: GRAFANA_USER,
  };
}
