import { socketProxyPreamble } from "../../components/platform/socket-proxy-config";
import { ImageName, images, withoutRegistry } from "../../components/shared/versions";

/**
 * Stand-in images: what `npm run images` builds with `docker build` on a machine that cannot pull
 * (these development machines reach no container registry). Each is the upstream image's layout
 * around the toolchain's binary of the pinned release (scripts/toolchain/): the same user,
 * paths, entrypoint, default arguments, exposed ports and volumes, so the stack's configs and
 * arguments work unchanged. A user's machine pulls the real images; these exist so the deploy
 * tests run what we ship, as close as this machine allows.
 *
 * The bases are built here too: `busybox` is Debian's busybox-static (the shell and `wget` that
 * upstream's busybox and alpine bases give), `scratch` is empty (upstream's scratch and
 * distroless bases: no shell), and `debian` is a Debian bookworm rootfs made by debootstrap with
 * haproxy (for the Docker socket proxy, whose upstream base is haproxy on alpine).
 */

/** The tag prefix of the stand-ins: a local mirror, given to the stack as `images.registry`. */
export const STAND_IN_REGISTRY = "localhost/stand-in";

export type Base = "busybox" | "scratch" | "debian";

export interface StandIn {
  image: ImageName;
  base: Base;
  /** Toolchain binaries: recipe name, the binary's file name, where it goes in the image. */
  binaries: { recipe: string; binary: string; to: string }[];
  /** As upstream's ENV. */
  env?: Record<string, string>;
  /** As upstream's USER (a name from the base's /etc/passwd, or uid[:gid]). */
  user: string;
  entrypoint: string[];
  cmd?: string[];
  workdir?: string;
  volumes?: string[];
  ports: string[];
  /** Directories created in the image, owned by `owner` (upstream's `mkdir` + `chown`), or of its base (alpine's /var/tmp, mode 1777). */
  dirs?: { path: string; owner: string; mode?: string }[];
  /** Files of the image besides binaries (e.g. upstream's example config at its default path). */
  files?: { path: string; content: string; mode?: string }[];
  /** Where the layout was read: the upstream Dockerfile at the pinned tag. */
  upstream: string;
}

/** The users of the bases' /etc/passwd (busybox images carry `nobody`, as upstream's do). */
export const PASSWD = ["root:x:0:0:root:/root:/bin/sh", "nobody:x:65534:65534:nobody:/home:/bin/false"].join("\n") + "\n";
export const GROUP = ["root:x:0:", "nogroup:x:65534:", "nobody:x:65534:"].join("\n") + "\n";

const PROMETHEUS_EXAMPLE = [
  "# The example configuration upstream's image ships at this path: Prometheus scrapes itself.",
  "global:",
  "  scrape_interval: 15s",
  "scrape_configs:",
  "  - job_name: prometheus",
  "    static_configs:",
  "      - targets: [\"localhost:9090\"]",
  "",
].join("\n");

const ALERTMANAGER_EXAMPLE = [
  "# A minimal configuration at upstream's default path: one receiver that sends nowhere.",
  "route:",
  "  receiver: default",
  "receivers:",
  "  - name: default",
  "",
].join("\n");

const BLACKBOX_EXAMPLE = [
  "# A minimal module set at upstream's default path.",
  "modules:",
  "  http_2xx:",
  "    prober: http",
  "",
].join("\n");

const COLLECTOR_EXAMPLE = [
  "# A minimal pipeline at upstream's default path: OTLP in, nowhere out but the debug-free forward.",
  "receivers:",
  "  otlp:",
  "    protocols:",
  "      grpc:",
  "        endpoint: 0.0.0.0:4317",
  "      http:",
  "        endpoint: 0.0.0.0:4318",
  "processors:",
  "  batch: {}",
  "exporters:",
  "  otlp_grpc:",
  "    endpoint: localhost:4317",
  "    tls:",
  "      insecure: true",
  "service:",
  "  pipelines:",
  "    traces:",
  "      receivers: [otlp]",
  "      processors: [batch]",
  "      exporters: [otlp_grpc]",
  "",
].join("\n");

export const STAND_INS: StandIn[] = [
  {
    image: "prometheus",
    base: "busybox",
    binaries: [
      { recipe: "prometheus", binary: "prometheus", to: "/bin/prometheus" },
      { recipe: "prometheus", binary: "promtool", to: "/bin/promtool" },
    ],
    user: "nobody",
    entrypoint: ["/bin/prometheus"],
    cmd: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"],
    workdir: "/prometheus",
    volumes: ["/prometheus"],
    ports: ["9090"],
    dirs: [{ path: "/prometheus", owner: "nobody:nobody" }, { path: "/etc/prometheus", owner: "nobody:nobody" }],
    files: [{ path: "/etc/prometheus/prometheus.yml", content: PROMETHEUS_EXAMPLE }],
    upstream: "prometheus/prometheus Dockerfile",
  },
  {
    image: "alertmanager",
    base: "busybox",
    binaries: [
      { recipe: "alertmanager", binary: "alertmanager", to: "/bin/alertmanager" },
      { recipe: "alertmanager", binary: "amtool", to: "/bin/amtool" },
    ],
    user: "nobody",
    entrypoint: ["/bin/alertmanager"],
    cmd: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
    workdir: "/alertmanager",
    volumes: ["/alertmanager"],
    ports: ["9093"],
    dirs: [{ path: "/alertmanager", owner: "nobody:nobody" }, { path: "/etc/alertmanager", owner: "nobody:nobody" }],
    files: [{ path: "/etc/alertmanager/alertmanager.yml", content: ALERTMANAGER_EXAMPLE }],
    upstream: "prometheus/alertmanager Dockerfile",
  },
  {
    image: "nodeExporter",
    base: "busybox",
    binaries: [{ recipe: "node-exporter", binary: "node_exporter", to: "/bin/node_exporter" }],
    user: "nobody",
    entrypoint: ["/bin/node_exporter"],
    ports: ["9100"],
    upstream: "prometheus/node_exporter Dockerfile",
  },
  {
    image: "blackboxExporter",
    base: "busybox",
    binaries: [{ recipe: "blackbox-exporter", binary: "blackbox_exporter", to: "/bin/blackbox_exporter" }],
    user: "root",
    entrypoint: ["/bin/blackbox_exporter"],
    cmd: ["--config.file=/etc/blackbox_exporter/config.yml"],
    ports: ["9115"],
    files: [{ path: "/etc/blackbox_exporter/config.yml", content: BLACKBOX_EXAMPLE }],
    upstream: "prometheus/blackbox_exporter Dockerfile",
  },
  {
    image: "postgresExporter",
    base: "busybox",
    binaries: [{ recipe: "postgres-exporter", binary: "postgres_exporter", to: "/bin/postgres_exporter" }],
    user: "nobody",
    entrypoint: ["/bin/postgres_exporter"],
    ports: ["9187"],
    upstream: "prometheus-community/postgres_exporter Dockerfile",
  },
  {
    image: "redisExporter",
    base: "busybox",
    binaries: [{ recipe: "redis-exporter", binary: "redis_exporter", to: "/redis_exporter" }],
    user: "59000:59000",
    entrypoint: ["/redis_exporter"],
    ports: ["9121"],
    upstream: "oliver006/redis_exporter Dockerfile (the alpine stage)",
  },
  {
    image: "kubeStateMetrics",
    base: "scratch",
    binaries: [{ recipe: "kube-state-metrics", binary: "kube-state-metrics", to: "/kube-state-metrics" }],
    user: "nobody",
    entrypoint: ["/kube-state-metrics", "--port=8080", "--telemetry-port=8081"],
    ports: ["8080", "8081"],
    upstream: "kubernetes/kube-state-metrics Dockerfile (distroless static)",
  },
  {
    image: "otelCollectorContrib",
    base: "scratch",
    binaries: [{ recipe: "otelcol", binary: "otelcol-contrib", to: "/otelcol-contrib" }],
    user: "10001:10001",
    entrypoint: ["/otelcol-contrib"],
    cmd: ["--config", "/etc/otelcol-contrib/config.yaml"],
    ports: ["4317", "4318", "55679"],
    files: [{ path: "/etc/otelcol-contrib/config.yaml", content: COLLECTOR_EXAMPLE }],
    upstream: "open-telemetry/opentelemetry-collector-releases distributions/otelcol-contrib/Dockerfile",
  },
  {
    image: "jaeger",
    base: "busybox",
    binaries: [{ recipe: "jaeger", binary: "jaeger", to: "/cmd/jaeger/jaeger-linux" }],
    env: { JAEGER_LISTEN_HOST: "0.0.0.0" },
    // Alpine's /var/tmp (1777), where the stack keeps Badger's data (components/tracing/jaeger-config.ts).
    dirs: [{ path: "/var/tmp", owner: "root:root", mode: "1777" }],
    user: "10001",
    entrypoint: ["/cmd/jaeger/jaeger-linux"],
    volumes: ["/tmp"],
    ports: ["5778", "5779", "4317", "4318", "14268", "14250", "9411", "16686", "13132", "13133"],
    upstream: "jaegertracing/jaeger cmd/jaeger/Dockerfile",
  },
  {
    image: "rclone",
    base: "busybox",
    binaries: [{ recipe: "rclone", binary: "rclone", to: "/usr/local/bin/rclone" }],
    env: { XDG_CONFIG_HOME: "/config" },
    // Alpine's /var/tmp (1777), where the backup jobs keep their volume (components/backups/workloads.ts).
    dirs: [
      { path: "/var/tmp", owner: "root:root", mode: "1777" },
      { path: "/data", owner: "root:root" },
    ],
    user: "root",
    entrypoint: ["rclone"],
    workdir: "/data",
    ports: [],
    upstream: "rclone/rclone Dockerfile",
  },
];

/** The stand-in's tag: the pinned image under the local mirror prefix, as `images.registry` rewrites it. */
export function standInTag(image: ImageName): string {
  return `${STAND_IN_REGISTRY}/${withoutRegistry(images[image])}`;
}

/** The base images' tags (built first; versioned by what they are made of). */
export function baseTag(base: Exclude<Base, "scratch">, version: string): string {
  return `${STAND_IN_REGISTRY}/base-${base}:${version}`;
}

const json = (v: unknown) => JSON.stringify(v);

/**
 * The Dockerfile of a stand-in. Its build context holds `bin/<binary>` for each binary and
 * `files/<path>` for each file (see `contextFiles`). No `# syntax=` line: the classic builder
 * needs no frontend image.
 */
export function dockerfile(spec: StandIn, from: string): string {
  const lines: string[] = [from === "scratch" ? "FROM scratch" : `FROM ${from}`];
  lines.push(`LABEL org.opencontainers.image.description=${json(`stand-in for ${images[spec.image]}: its layout, the toolchain's binary (${spec.upstream})`)}`);
  if (spec.base === "scratch") lines.push("COPY passwd /etc/passwd", "COPY group /etc/group");
  for (const b of spec.binaries) lines.push(`COPY bin/${b.binary} ${b.to}`);
  for (const f of spec.files ?? []) lines.push(`COPY files${f.path} ${f.path}`);
  const dirs = spec.dirs ?? [];
  if (dirs.length > 0) {
    if (spec.base === "scratch") throw new Error(`${spec.image}: a scratch image has no shell to create directories`);
    const steps = dirs.flatMap((d) => [`chown -R ${d.owner} ${d.path}`, ...(d.mode ? [`chmod ${d.mode} ${d.path}`] : [])]);
    lines.push(`RUN mkdir -p ${dirs.map((d) => d.path).join(" ")} && ${steps.join(" && ")}`);
  }
  if (spec.env) lines.push(`ENV ${Object.entries(spec.env).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  if (spec.workdir) lines.push(`WORKDIR ${spec.workdir}`);
  lines.push(`USER ${spec.user}`);
  if (spec.ports.length > 0) lines.push(`EXPOSE ${spec.ports.join(" ")}`);
  if (spec.volumes && spec.volumes.length > 0) lines.push(`VOLUME ${json(spec.volumes)}`);
  lines.push(`ENTRYPOINT ${json(spec.entrypoint)}`);
  if (spec.cmd) lines.push(`CMD ${json(spec.cmd)}`);
  return lines.join("\n") + "\n";
}

/** The base images' Dockerfiles: busybox-static with its applets linked, and the users. */
export function busyboxDockerfile(): string {
  return [
    "FROM scratch",
    "COPY busybox /bin/busybox",
    "COPY passwd /etc/passwd",
    "COPY group /etc/group",
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    "RUN mkdir -p /tmp /home && chmod 1777 /tmp",
    'CMD ["/bin/sh"]',
    "",
  ].join("\n");
}

/**
 * The Docker socket proxy's stand-in: Debian's haproxy (upstream's base is haproxy on alpine)
 * with a configuration of ours that keeps upstream's contract: every API section is closed
 * unless its environment switch (`CONTAINERS=1`, `NETWORKS=1`, ...) is on, only GET/HEAD pass
 * unless `POST=1`, `DISABLE_IPV6=1` binds IPv4 only, and it listens on 2375 as root (the socket
 * is root's). The entrypoint renders /tmp/haproxy.cfg from the template at upstream's path, as
 * upstream's does, so a template uploaded there replaces the rules.
 */
export const SOCKET_PROXY_SECTIONS = [
  "auth", "build", "commit", "configs", "containers", "distribution", "events", "exec", "grpc", "images", "info",
  "networks", "nodes", "_ping", "plugins", "secrets", "services", "session", "swarm", "system", "tasks", "version", "volumes",
] as const;

/** Upstream's defaults: everything closed but EVENTS, PING and VERSION. */
export const SOCKET_PROXY_DEFAULTS: Record<string, string> = {
  ...Object.fromEntries(SOCKET_PROXY_SECTIONS.map((s) => [s === "_ping" ? "PING" : s.toUpperCase(), "0"])),
  EVENTS: "1",
  PING: "1",
  VERSION: "1",
  POST: "0",
  DISABLE_IPV6: "0",
  LOG_LEVEL: "info",
  SOCKET_PATH: "/var/run/docker.sock",
};

export function socketProxyTemplate(): string {
  const allow = SOCKET_PROXY_SECTIONS.map((section) => {
    const env = section === "_ping" ? "PING" : section.toUpperCase();
    return `    http-request allow if { path,url_dec -m reg -i ^(/v[0-9.]+)?/${section}(/|\\?|$) } { env(${env}) -m bool }`;
  });
  return [
    ...socketProxyPreamble({ logLevel: '"${LOG_LEVEL}"', maxconn: 4000 }),
    "    http-request deny unless METH_GET || { env(POST) -m bool }",
    ...allow,
    "    http-request deny",
    "    default_backend dockerbackend",
    "",
  ].join("\n");
}

export const SOCKET_PROXY_ENTRYPOINT = [
  "#!/bin/sh",
  "# Renders /tmp/haproxy.cfg from the template (the bind address by DISABLE_IPV6), then runs haproxy.",
  "set -e",
  'case "$(echo "${DISABLE_IPV6:-0}" | tr "[:upper:]" "[:lower:]")" in',
  '  1|true|yes) bind=":2375" ;;',
  '  *) bind="[::]:2375 v4v6" ;;',
  "esac",
  'sed "s/\\${BIND_CONFIG}/$bind/g" /usr/local/etc/haproxy/haproxy.cfg.template > /tmp/haproxy.cfg',
  'if [ "${1#-}" != "$1" ]; then set -- haproxy "$@"; fi',
  'if [ "$1" = haproxy ]; then shift; set -- haproxy -W -db "$@"; fi',
  'exec "$@"',
  "",
].join("\n");

/** The socket proxy's Dockerfile, on the debootstrapped Debian base with haproxy. */
export function socketProxyDockerfile(from: string): string {
  return [
    `FROM ${from}`,
    `LABEL org.opencontainers.image.description=${json(`stand-in for ${images.dockerSocketProxy}: Debian's haproxy with upstream's environment switches`)}`,
    `ENV ${Object.entries(SOCKET_PROXY_DEFAULTS).map(([k, v]) => `${k}=${v}`).join(" ")}`,
    "COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh",
    "COPY haproxy.cfg.template /usr/local/etc/haproxy/haproxy.cfg.template",
    "RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh",
    "USER root",
    "EXPOSE 2375",
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
    'CMD ["haproxy", "-f", "/tmp/haproxy.cfg"]',
    "",
  ].join("\n");
}
