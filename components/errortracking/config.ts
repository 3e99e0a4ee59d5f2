import { z } from "zod";
import { port, resources, storageQuantity, strictObject } from "../shared/config-primitives";

/**
 * The `observability:errorTracking` part of the stack config: GlitchTip (MIT), the
 * Sentry-compatible error tracker, with its PostgreSQL and Valkey bundled or the user's own.
 */

/** Secrets read with `getSecret`. */
export const errorTrackingSecretKeys = {
  /** Django's SECRET_KEY (signs sessions and tokens): required when `errorTracking.enabled`. `openssl rand -hex 32`. */
  glitchtipSecretKey: "glitchtipSecretKey",
  /** The admin account's password. Default: a generated 32-character password, exported as the secret output `glitchtipAdminPassword`. */
  glitchtipAdminPassword: "glitchtipAdminPassword",
  /** `postgres://user:password@host:5432/db`: required when `errorTracking.database.bundled` is false. */
  glitchtipDatabaseUrl: "glitchtipDatabaseUrl",
  /** `redis://:password@host:6379/0`: required when `errorTracking.valkey.bundled` is false. */
  glitchtipValkeyUrl: "glitchtipValkeyUrl",
  /** `smtp://user:password@host:587` for notification emails. Default `consolemail://` (the worker's log). */
  glitchtipEmailUrl: "glitchtipEmailUrl",
} as const;

const errorTrackingResourceDefaults = {
  web: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "768Mi" } },
  worker: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "768Mi" } },
  postgres: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  valkey: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
};

const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "must be an email address (e.g. sre@example.com)");

export const errorTrackingSchema = strictObject({
  /** Deploy GlitchTip. Default false. */
  enabled: z.boolean().default(false),
  /**
   * The URL users and SDKs reach GlitchTip at (`GLITCHTIP_DOMAIN`): it is in every DSN GlitchTip
   * shows. Default: `http://127.0.0.1:<hostPort>` on Docker, the in-cluster Service URL on Kubernetes.
   */
  url: z.string().url("must be a URL (e.g. https://errors.example.com)").optional(),
  /** The admin account made on first start (Django's superuser); its password is the secret `glitchtipAdminPassword`. Required when enabled. */
  adminEmail: email.optional(),
  /** Sender of notification emails. Default `glitchtip@<url host>`. */
  fromEmail: email.optional(),
  /** Days events are kept (`GLITCHTIP_MAX_EVENT_LIFE_DAYS`). Default 90. */
  eventRetentionDays: z.number({ invalid_type_error: "must be a whole number of days (e.g. 90)" }).int("must be a whole number of days (e.g. 90)").min(1, "must be at least 1 day").default(90),
  /** Let anyone who reaches GlitchTip sign up. Default false: the admin invites users. */
  openRegistration: z.boolean().default(false),
  /** Host port of GlitchTip's web UI and event API on Docker. Default 8000. */
  hostPort: port.default(8000),
  database: strictObject({
    /** Run PostgreSQL for GlitchTip in the stack (false: the secret `glitchtipDatabaseUrl` names yours). Default true. */
    bundled: z.boolean().default(true),
    /** Size of the bundled PostgreSQL's volume. Default `10Gi`. */
    storageSize: storageQuantity.default("10Gi"),
    /** CPU and memory requests and limits of the bundled PostgreSQL. */
    resources: resources.default(errorTrackingResourceDefaults.postgres),
  }).default({}),
  valkey: strictObject({
    /** Run Valkey (the task queue and cache) in the stack (false: the secret `glitchtipValkeyUrl` names yours). Default true. */
    bundled: z.boolean().default(true),
    /** CPU and memory requests and limits of the bundled Valkey. */
    resources: resources.default(errorTrackingResourceDefaults.valkey),
  }).default({}),
  /** CPU and memory requests and limits of the web and worker processes. */
  resources: strictObject({
    web: resources.default(errorTrackingResourceDefaults.web),
    worker: resources.default(errorTrackingResourceDefaults.worker),
  }).default({}),
});

export type ErrorTrackingConfig = z.infer<typeof errorTrackingSchema>;

/** A config problem: path under the config namespace, and the message. */
export type ConfigIssue = [(string | number)[], string];

/** Cross-field checks of `errorTracking`: the secret key, the admin, your own database or Valkey. */
export function errorTrackingIssues(cfg: ErrorTrackingConfig, presentSecrets: ReadonlySet<string>): ConfigIssue[] {
  if (!cfg.enabled) return [];
  const issues: ConfigIssue[] = [];
  const keys = errorTrackingSecretKeys;
  if (!presentSecrets.has(keys.glitchtipSecretKey)) {
    issues.push([[keys.glitchtipSecretKey], `is required when errorTracking.enabled is true (it signs GlitchTip's sessions and tokens): pulumi config set --secret ${keys.glitchtipSecretKey} "$(openssl rand -hex 32)"`]);
  }
  if (cfg.adminEmail === undefined) issues.push([["errorTracking", "adminEmail"], "is required when errorTracking.enabled is true: the admin account made on first start (e.g. sre@example.com)"]);
  if (!cfg.database.bundled && !presentSecrets.has(keys.glitchtipDatabaseUrl)) {
    issues.push([[keys.glitchtipDatabaseUrl], `is required when errorTracking.database.bundled is false: pulumi config set --secret ${keys.glitchtipDatabaseUrl} 'postgres://glitchtip:<password>@db.example.com:5432/glitchtip'`]);
  }
  if (!cfg.valkey.bundled && !presentSecrets.has(keys.glitchtipValkeyUrl)) {
    issues.push([[keys.glitchtipValkeyUrl], `is required when errorTracking.valkey.bundled is false: pulumi config set --secret ${keys.glitchtipValkeyUrl} 'redis://:<password>@valkey.example.com:6379/0'`]);
  }
  return issues;
}

export const errorTrackingDefaults = { resources: errorTrackingResourceDefaults };
