import * as pulumi from "@pulumi/pulumi";
import { ErrorTrackingConfig } from "./config";
import { ResourceSpec, WorkloadSpec } from "../platform/types";
import { images } from "../shared/versions";
import {
  GLITCHTIP_DB,
  GLITCHTIP_PORT,
  GLITCHTIP_UPLOADS_DIR,
  glitchtipWorkerScript,
  POSTGRES_DATA_DIR,
  POSTGRES_PASSWORD_FILE,
  POSTGRES_PORT,
  VALKEY_CONFIG_PATH,
  VALKEY_PORT,
} from "./glitchtip-config";

/**
 * Pure builders of GlitchTip's workloads: config in, `WorkloadSpec` out.
 */

const COMPONENT = "error-tracking";
/**
 * The GlitchTip image's `app` user. The image cannot be pulled here to read it back: if a future
 * image changes it, the uploads volume (owned through fsGroup on Kubernetes) is what would notice.
 */
const GLITCHTIP_USER = { uid: 5000, gid: 5000 };
/** The `postgres` user of the official alpine image. */
const POSTGRES_USER = { uid: 70, gid: 70 };
/** The `valkey` user of the official alpine image. */
const VALKEY_USER = { uid: 999, gid: 1000 };

/** The secret settings GlitchTip reads from its environment (it reads them nowhere else). */
export interface GlitchtipSecretEnv {
  SECRET_KEY: pulumi.Input<string>;
  DATABASE_URL: pulumi.Input<string>;
  VALKEY_URL: pulumi.Input<string>;
  EMAIL_URL: pulumi.Input<string>;
  DJANGO_SUPERUSER_PASSWORD: pulumi.Input<string>;
}

/** The web process: UI, API and the Sentry event endpoint applications send to. */
export function glitchtipWebSpec(cfg: ErrorTrackingConfig, env: Record<string, string>, secretEnv: GlitchtipSecretEnv): WorkloadSpec {
  return {
    name: "glitchtip",
    component: COMPONENT,
    image: images.glitchtip,
    env: { ...env, SERVER_ROLE: "web" },
    secretEnv: { ...secretEnv },
    // Applications in other namespaces send their events here.
    ports: [{ name: "http", port: GLITCHTIP_PORT, hostPort: cfg.hostPort, ingress: "any" }],
    // Uploaded source maps and debug files; the events themselves are in PostgreSQL.
    volume: { mountPath: GLITCHTIP_UPLOADS_DIR, size: "5Gi" },
    // TCP: the image (python slim) has no wget for an HTTP healthcheck; the blackbox probe checks /_health/.
    probe: { tcp: { port: GLITCHTIP_PORT }, initialDelaySeconds: 30 },
    resources: cfg.resources.web as ResourceSpec,
    user: GLITCHTIP_USER,
  };
}

/** The worker: migrations and the admin account on start, then event processing, notifications and cleanup. */
export function glitchtipWorkerSpec(cfg: ErrorTrackingConfig, env: Record<string, string>, secretEnv: GlitchtipSecretEnv): WorkloadSpec {
  return {
    name: "glitchtip-worker",
    component: COMPONENT,
    image: images.glitchtip,
    entrypoint: ["/bin/sh", "-c"],
    args: [glitchtipWorkerScript()],
    env: { ...env, SERVER_ROLE: "worker" },
    secretEnv: { ...secretEnv },
    ports: [],
    probe: { process: "the worker listens on no port; the platform restarts it when it exits, and GlitchTipDown watches the web process beside it" },
    resources: cfg.resources.worker as ResourceSpec,
    user: GLITCHTIP_USER,
  };
}

/** The bundled PostgreSQL: password from a secret file, data in a subdirectory of the volume (a fresh volume may hold lost+found). */
export function glitchtipPostgresSpec(cfg: ErrorTrackingConfig, password: pulumi.Input<string>): WorkloadSpec {
  return {
    name: "glitchtip-postgres",
    component: COMPONENT,
    image: images.glitchtipPostgres,
    env: {
      POSTGRES_USER: GLITCHTIP_DB.user,
      POSTGRES_DB: GLITCHTIP_DB.name,
      POSTGRES_PASSWORD_FILE,
      PGDATA: `${POSTGRES_DATA_DIR}/pgdata`,
      // scram-sha-256 for every connection from the network (the image's default for new clusters since 14).
      POSTGRES_INITDB_ARGS: "--auth-host=scram-sha-256 --auth-local=trust",
    },
    files: [{ path: POSTGRES_PASSWORD_FILE, content: password, secret: true }],
    ports: [{ name: "postgres", port: POSTGRES_PORT }],
    volume: { mountPath: POSTGRES_DATA_DIR, size: cfg.database.storageSize },
    // The server's socket directory; the root filesystem stays read-only.
    writablePaths: ["/var/run/postgresql"],
    probe: { tcp: { port: POSTGRES_PORT }, initialDelaySeconds: 20 },
    resources: cfg.database.resources as ResourceSpec,
    user: POSTGRES_USER,
  };
}

/** The bundled Valkey: GlitchTip's task queue and cache, password in its config file (a secret file). */
export function glitchtipValkeySpec(cfg: ErrorTrackingConfig, configText: pulumi.Input<string>): WorkloadSpec {
  return {
    name: "glitchtip-valkey",
    component: COMPONENT,
    image: images.glitchtipValkey,
    args: ["valkey-server", VALKEY_CONFIG_PATH],
    files: [{ path: VALKEY_CONFIG_PATH, content: configText, secret: true }],
    ports: [{ name: "valkey", port: VALKEY_PORT }],
    probe: { tcp: { port: VALKEY_PORT } },
    resources: cfg.valkey.resources as ResourceSpec,
    user: VALKEY_USER,
  };
}
