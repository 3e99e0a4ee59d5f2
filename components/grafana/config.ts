import { z } from "zod";
import { httpUrl, port, resources, storageQuantity, strictObject } from "../shared/config-primitives";
import { ConfigIssue } from "../logs/config";

/**
 * The `observability:grafana` part of the stack config: deploy Grafana, or push datasources,
 * folders, dashboards and alert routing to an existing one. The lead wires `grafanaSchema` into
 * `stackConfigSchema`, `grafanaSecretKeys` into `secretKeys` and `grafanaIssues` into the loader.
 */

/** Grafana's secrets, read with `getSecret`. */
export const grafanaSecretKeys = {
  /** The admin password of a deployed Grafana. Optional: generated (and kept in state) when absent. */
  grafanaAdminPassword: "grafanaAdminPassword",
  /** A service account token of an existing Grafana (Admin role). Required when `grafana.mode` is `existing`. */
  grafanaToken: "grafanaToken",
} as const;

const grafanaResourceDefaults = { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };

export const grafanaModes = ["deploy", "existing"] as const;
export type GrafanaMode = (typeof grafanaModes)[number];

export const grafanaSchema = strictObject({
  /** Manage Grafana (deploy it, or configure an existing one). Default true. */
  enabled: z.boolean().default(true),
  /** `deploy`: run Grafana in the stack. `existing`: configure a Grafana that runs elsewhere (needs `url` and the `grafanaToken` secret). Default `deploy`. */
  mode: z
    .enum(grafanaModes, {
      errorMap: (issue, ctx) => ({ message: issue.code === "invalid_enum_value" ? `"${ctx.data}" is not a Grafana mode (modes: deploy, existing)` : "must be deploy or existing" }),
    })
    .default("deploy"),
  /**
   * Where `pulumi up` reaches Grafana: the Grafana provider runs there, not in the stack's network.
   * Also Grafana's `root_url` (links in notifications, redirects). Required in `existing` mode and on
   * Kubernetes (an ingress, or a `kubectl port-forward` address); on Docker default
   * `http://127.0.0.1:<hostPort>` (the published port).
   */
  url: httpUrl.optional(),
  /** Host port of the Grafana UI on Docker (deploy mode). Default 3000. */
  hostPort: port.default(3000),
  /** Size of Grafana's volume (`/var/lib/grafana`: its database, sessions, plugins) on Kubernetes. Default `5Gi`. */
  storageSize: storageQuantity.default("5Gi"),
  /** Login of the admin user a deployed Grafana creates on first start. Default `admin`. */
  adminUser: z
    .string()
    .refine((v) => /^[A-Za-z0-9._@-]+$/.test(v), (v) => ({ message: `"${v}" is not a login (letters, digits, . _ @ -; no ":" since it is sent as user:password)` }))
    .default("admin"),
  /** A folder of the user's own dashboards (`*.json`, or `*.ts` exporting `dashboard`), relative to the program. Default none. */
  dashboardsDir: z.string().min(1, "must not be empty").optional(),
  /**
   * Push the example dashboards (folder Examples: business metrics of a sample application,
   * `user_signups_total`, `user_logins_total`, `active_users_total`) that show how to write your
   * own. Default false: they read an application's metrics, not the stack's.
   */
  exampleDashboards: z.boolean().default(false),
  /** CPU and memory requests and limits of Grafana. Default 100m/256Mi requested, 1 CPU/1Gi limit. */
  resources: resources.default(grafanaResourceDefaults),
});

export type GrafanaConfig = z.infer<typeof grafanaSchema>;

/** The host port a deployed Grafana publishes on Docker, for the loader's host-port clash check. */
export function grafanaHostPortClaims(grafana: GrafanaConfig): [(string | number)[], number][] {
  return grafana.enabled && grafana.mode === "deploy" ? [[["grafana", "hostPort"], grafana.hostPort]] : [];
}

/**
 * Cross-field checks of `grafana`: what each mode needs.
 *
 * @param platform the stack's `platform` (a URL is required on Kubernetes: nothing is published there).
 * @param presentSecrets names of the secrets the stack was given (see `grafanaSecretKeys`).
 */
export function grafanaIssues(grafana: GrafanaConfig, platform: "docker" | "kubernetes", presentSecrets: ReadonlySet<string>): ConfigIssue[] {
  if (!grafana.enabled) return [];
  const issues: ConfigIssue[] = [];
  if (grafana.mode === "existing") {
    if (grafana.url === undefined) issues.push([["grafana", "url"], "is required when grafana.mode is existing (e.g. https://grafana.example.com)"]);
    if (!presentSecrets.has(grafanaSecretKeys.grafanaToken)) {
      issues.push([[grafanaSecretKeys.grafanaToken], `is required when grafana.mode is existing: pulumi config set --secret ${grafanaSecretKeys.grafanaToken} <service account token>`]);
    }
    return issues;
  }
  if (platform === "kubernetes" && grafana.url === undefined) {
    issues.push([
      ["grafana", "url"],
      "is required on Kubernetes: the Grafana provider runs where pulumi up runs and must reach Grafana from there (an ingress such as https://grafana.example.com, or a port-forward such as http://127.0.0.1:3000)",
    ]);
  }
  return issues;
}

export const grafanaDefaults = { resources: grafanaResourceDefaults };
