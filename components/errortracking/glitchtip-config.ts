/**
 * GlitchTip's settings as pure data: the environment of its web and worker processes, the
 * worker's start script (migrations, the admin account, then the worker), and the bundled
 * Valkey's config. GlitchTip (a Django app) reads its settings from nowhere but its environment.
 */

export const GLITCHTIP_PORT = 8000;
/** Where GlitchTip keeps uploaded source maps and debug files (the image's working directory is /code). */
export const GLITCHTIP_UPLOADS_DIR = "/code/uploads";
/** GlitchTip's health endpoint: 200 once Django answers (it does not touch the database). */
export const GLITCHTIP_HEALTH_PATH = "/_health/";
export const VALKEY_PORT = 6379;
export const VALKEY_CONFIG_PATH = "/etc/valkey/valkey.conf";
export const POSTGRES_PORT = 5432;
export const POSTGRES_DATA_DIR = "/var/lib/postgresql/data";
export const POSTGRES_PASSWORD_FILE = "/run/secrets/postgres-password";
export const GLITCHTIP_DB = { name: "glitchtip", user: "glitchtip" } as const;

export interface GlitchtipEnvInput {
  /** The URL users and SDKs reach GlitchTip at (`GLITCHTIP_DOMAIN`). */
  url: string;
  fromEmail: string;
  eventRetentionDays: number;
  openRegistration: boolean;
  adminEmail: string;
  /** Host names GlitchTip answers to besides the URL's (the in-network name the health probe uses). */
  internalHosts?: string[];
}

/** The plain (non-secret) environment shared by web and worker. */
export function glitchtipEnv(input: GlitchtipEnvInput): Record<string, string> {
  return {
    GLITCHTIP_DOMAIN: input.url,
    // Django's Host-header check: the public URL's host and the stack's own names for it, nothing else.
    ALLOWED_HOSTS: [...new Set([new URL(input.url).hostname, ...(input.internalHosts ?? [])])].join(","),
    DEFAULT_FROM_EMAIL: input.fromEmail,
    GLITCHTIP_MAX_EVENT_LIFE_DAYS: String(input.eventRetentionDays),
    ENABLE_USER_REGISTRATION: input.openRegistration ? "True" : "False",
    ENABLE_ORGANIZATION_CREATION: "False",
    PORT: String(GLITCHTIP_PORT),
    // Django's createsuperuser --noinput reads these; the password is a secret env var.
    DJANGO_SUPERUSER_EMAIL: input.adminEmail,
  };
}

/** The default sender: `glitchtip@<host of the URL>`, or `glitchtip@localhost` for an address. */
export function defaultFromEmail(url: string): string {
  const host = new URL(url).hostname;
  return /^[\d.]+$|:/.test(host) ? "glitchtip@localhost" : `glitchtip@${host}`;
}

/**
 * The worker's command: apply migrations, make the admin account if no account has its email
 * (so a password changed in the UI is never reset), then become the worker (celery with beat).
 * Each step fails the start when it fails: a worker on an unmigrated database would only crash later.
 */
export function glitchtipWorkerScript(): string {
  return [
    "set -eu",
    "./bin/run-migrate.sh",
    // Django's own check for an existing account, then its own non-interactive createsuperuser.
    `if ./manage.py shell -c "import os, sys; from django.contrib.auth import get_user_model; sys.exit(0 if get_user_model().objects.filter(email=os.environ['DJANGO_SUPERUSER_EMAIL']).exists() else 3)"; then`,
    '  echo "glitchtip: admin account $DJANGO_SUPERUSER_EMAIL exists"',
    "else",
    "  ./manage.py createsuperuser --noinput",
    "fi",
    "exec ./bin/run-worker.sh",
    "",
  ].join("\n");
}

/** The bundled Valkey: a password, a size cap that evicts nothing (a queue must not lose tasks), snapshots off (GlitchTip's queue and cache are rebuilt from PostgreSQL). */
export function renderValkeyConfig(password: string): string {
  if (/[\s"\\]/.test(password)) throw new Error("the Valkey password must not contain whitespace, quotes or backslashes");
  return [
    `port ${VALKEY_PORT}`,
    "bind 0.0.0.0",
    "protected-mode yes",
    `requirepass ${password}`,
    "maxmemory 192mb",
    "maxmemory-policy noeviction",
    'save ""',
    "appendonly no",
    "",
  ].join("\n");
}

/** `redis://:<password>@<host:port>/0`, Valkey's URL as GlitchTip reads it. */
export function valkeyUrl(password: string, address: string): string {
  return `redis://:${encodeURIComponent(password)}@${address}/0`;
}

/** `postgres://glitchtip:<password>@<host:port>/glitchtip`. */
export function databaseUrl(password: string, address: string): string {
  return `postgres://${GLITCHTIP_DB.user}:${encodeURIComponent(password)}@${address}/${GLITCHTIP_DB.name}`;
}

/**
 * How an application's Sentry SDK finds GlitchTip: a project's DSN is
 * `<scheme>://<public key>@<host>/<project id>`; GlitchTip shows it under the project's settings.
 */
export function dsnTemplate(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//<project key>@${u.host}/<project id>`;
}
