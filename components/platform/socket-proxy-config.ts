/**
 * The Docker socket proxy's haproxy configuration: an allow-list of exactly the read-only calls
 * the stack's discovery clients make, replacing the image's per-section switches.
 *
 * The image's own rules (tecnativa/docker-socket-proxy 0.3.0) open a whole API section per switch:
 * with `CONTAINERS=1`, every GET under `/containers` passes, including `/containers/{id}/archive`
 * and `/export` (any container's files: the secret files uploaded into Alertmanager's, say) and
 * `/containers/{id}/attach/ws` (a websocket to a container's stdin). Prometheus' docker_sd lists
 * containers and networks; Alloy's `discovery.docker` does the same and `loki.source.docker`
 * inspects a container and follows its logs. Those, `_ping` and `version` (API version
 * negotiation) pass, as GET or HEAD; everything else gets 403.
 *
 * The image renders /tmp/haproxy.cfg from /usr/local/etc/haproxy/haproxy.cfg.template, replacing
 * `${BIND_CONFIG}` with its listen address (by `DISABLE_IPV6`), so this text is that template.
 * Kept to what HAProxy 2.2 (the image's) accepts.
 */

/** Where the image reads the template from. */
export const SOCKET_PROXY_TEMPLATE_PATH = "/usr/local/etc/haproxy/haproxy.cfg.template";

/** An optional API version prefix, then one of the allowed paths, and nothing after it. */
const ID = "[a-zA-Z0-9_.-]+";
export const SOCKET_PROXY_ALLOWED_PATHS = [
  "_ping",
  "version",
  "containers/json",
  `containers/${ID}/json`,
  `containers/${ID}/logs`,
  "networks",
  `networks/${ID}`,
] as const;

/** The allow-list as one anchored regular expression over the request path (no query string). */
export function socketProxyPathPattern(): string {
  return `^(/v[0-9.]+)?/(${SOCKET_PROXY_ALLOWED_PATHS.join("|")})$`;
}

/**
 * An haproxy front of the Docker socket up to its frontend's rules: the image's placeholders for
 * the socket (`SOCKET_PATH`, from the environment) and the listen address (`BIND_CONFIG`, replaced
 * by the entrypoint). Shared with the stand-in image's template (scripts/images/recipes.ts).
 */
export function socketProxyPreamble(opts: { logLevel: string; maxconn: number }): string[] {
  return [
    "global",
    `    log stdout format raw daemon ${opts.logLevel}`,
    "    pidfile /run/haproxy.pid",
    `    maxconn ${opts.maxconn}`,
    "",
    "defaults",
    "    mode http",
    "    log global",
    "    option httplog",
    "    option dontlognull",
    "    option http-server-close",
    "    timeout connect 10s",
    "    timeout client 10m",
    "    # Log streams stay open: the server side may be idle for long.",
    "    timeout server 10m",
    "    timeout http-request 10s",
    "",
    "backend dockerbackend",
    '    server dockersocket "${SOCKET_PATH}"',
    "",
    "frontend dockerfrontend",
    "    bind ${BIND_CONFIG}",
  ];
}

export function renderSocketProxyTemplate(): string {
  return [
    "# Rendered by pulumi-observability (components/platform/socket-proxy-config.ts): read-only discovery only.",
    ...socketProxyPreamble({ logLevel: "info", maxconn: 256 }),
    "    http-request deny unless METH_GET",
    // Single quotes: no environment expansion of the pattern's `$`.
    `    http-request deny unless { path -m reg '${socketProxyPathPattern()}' }`,
    "    default_backend dockerbackend",
    "",
  ].join("\n");
}
