import { ChildProcess, execFileSync, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { bin } from "./binaries";

/**
 * A harness for the real servers our rendered configs are fed to: Prometheus, the exporters and
 * the databases they watch. Everything binds 127.0.0.1 on a free port, every wait is bounded, and
 * every process, server and temp dir is registered so that `stopAll()` (call it in `afterAll`)
 * cleans up even when `beforeAll` or a test failed half-way.
 *
 * Prometheus, Alertmanager and the exporters are the toolchain's builds at the versions the stack
 * pins (`bin()`, `npm run toolchain`); PostgreSQL and Redis come from the system.
 */

const LOOPBACK = "127.0.0.1";
/** Lines of output kept per process; the last `TAIL_LINES` go into error messages. */
const KEEP_LINES = 400;
const TAIL_LINES = 40;
/** Grace between the stop signal and SIGKILL. */
const STOP_GRACE_MS = 5000;
const DEFAULT_START_TIMEOUT_MS = 20000;
const POLL_MS = 100;

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

interface Stoppable {
  stop(): Promise<void>;
}

const registered: Stoppable[] = [];
const tempDirs: string[] = [];
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Stops every process and server started through this module and removes its temp dirs. */
export async function stopAll(): Promise<void> {
  const toStop = registered.splice(0).reverse();
  const results = await Promise.allSettled(toStop.map((s) => s.stop()));
  const errors: unknown[] = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
  for (const dir of tempDirs.splice(0)) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `stopAll: ${errors.length} cleanup error(s): ${errors.map(String).join("; ")}`);
}

function register(s: Stoppable): void {
  registered.push(s);
}

/**
 * Last resort when the test process exits without `afterAll` having run (a forced exit, an
 * uncaught error): SIGKILL is synchronous, so it still works inside an `exit` listener.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of liveChildren) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  });
}

/** A temp dir removed by `stopAll()`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `obs-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A port free on 127.0.0.1 right now. Another process may take it before ours binds: see `startOnFreePort`. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A random password that needs no escaping in a URL, a DSN or a command line. */
export function randomSecret(): string {
  return randomBytes(18).toString("base64url");
}

/**
 * Polls `predicate` until it returns something other than `false` without throwing, and returns
 * that value. A predicate may use `expect(...)`: on timeout the last assertion error is rethrown,
 * so the failure shows what was last observed rather than just "timed out".
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, timeoutMs: number, what = "condition", intervalMs = 200): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== false) return value as Exclude<T, false>;
      last = new Error(`${what}: predicate returned false`);
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const err = last instanceof Error ? last : new Error(String(last));
      err.message = `${what} still not met after ${timeoutMs} ms: ${err.message}`;
      throw err;
    }
    await sleep(intervalMs);
  }
}

function tcpConnects(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function httpOk(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function userIds(user: string): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`user "${user}" does not exist: create it or run the tests as a non-root user`);
  }
}

function chownRecursive(p: string, ids: { uid: number; gid: number }): void {
  fs.chownSync(p, ids.uid, ids.gid);
  if (fs.statSync(p).isDirectory()) for (const entry of fs.readdirSync(p)) chownRecursive(path.join(p, entry), ids);
}

/**
 * A PostgreSQL binary. Debian keeps them off PATH in /usr/lib/postgresql/<major>/bin; elsewhere
 * (Homebrew, PGDG on a laptop) they are on PATH.
 */
export function postgresBin(name: string): string {
  const root = "/usr/lib/postgresql";
  if (fs.existsSync(root)) {
    const majors = fs
      .readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const candidate = path.join(root, major, "bin", name);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

export type Readiness = { http: string } | { tcp: number } | { log: RegExp };

export interface ProcessOptions {
  /** Shown in errors and output. */
  name: string;
  command: string;
  args: string[];
  /** Added to the inherited environment: the way to hand a process a secret without it showing in `ps`. */
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this OS user when the tests run as root (servers such as PostgreSQL refuse root); ignored otherwise. */
  user?: string;
  ready: Readiness;
  /** Bound on start-up (and on each `restart()`); on expiry the error carries the last 40 lines of output. */
  timeoutMs?: number;
  /** Signal `stop()` sends first (default SIGTERM; PostgreSQL's fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
}

export interface ProcessHandle {
  readonly name: string;
  /** PID of the current incarnation. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** The last `lines` lines of stdout and stderr, interleaved as they arrived. */
  output(lines?: number): string;
  /** Stop signal, then SIGKILL after 5 s. Resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL at once: simulates a crash. Resolves once the process has exited. */
  kill(): Promise<void>;
  /** Stop (if running) and start again with the same options; resolves when ready again. */
  restart(): Promise<void>;
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  args: string;
}

function processTable(): ProcessInfo[] {
  try {
    return execFileSync("ps", ["-A", "-ww", "-o", "pid=,ppid=,args="], { encoding: "utf8" })
      .split("\n")
      .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
  } catch {
    return [];
  }
}

/** Every process below `pid`, with its command line. */
function descendants(pid: number): ProcessInfo[] {
  const table = processTable();
  const found: ProcessInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of table) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/** SIGKILLs those of `procs` still alive; pid and command line must both match, so a reused pid is never hit. */
function killSurvivors(procs: ProcessInfo[]): void {
  if (procs.length === 0) return;
  const alive = new Map(processTable().map((p) => [p.pid, p.args]));
  for (const p of procs) {
    if (alive.get(p.pid) !== p.args) continue;
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Exited in between.
    }
  }
}

function describeReadiness(ready: Readiness): string {
  if ("http" in ready) return `HTTP 2xx from ${ready.http}`;
  if ("tcp" in ready) return `a TCP connection to ${LOOPBACK}:${ready.tcp}`;
  return `a line of output matching ${ready.log}`;
}

class ManagedProcess implements ProcessHandle, Stoppable {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitInfo: string | undefined = "not started";
  private lines: string[] = [];
  private logReady = false;

  constructor(private readonly opts: ProcessOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  output(lines = TAIL_LINES): string {
    return this.lines.slice(-lines).join("\n");
  }

  async start(): Promise<void> {
    const ids = this.opts.user !== undefined && isRoot() ? userIds(this.opts.user) : undefined;
    this.logReady = false;
    this.exitInfo = undefined;
    const child = spawn(this.opts.command, this.opts.args, {
      cwd: this.opts.cwd,
      env: { ...process.env, ...this.opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(ids ?? {}),
    });
    this.child = child;
    liveChildren.add(child);
    installExitHook();
    this.exited = new Promise((resolve) => {
      const finished = (info: string) => {
        if (this.child === child && this.exitInfo === undefined) this.exitInfo = info;
        liveChildren.delete(child);
        resolve();
      };
      child.once("exit", (code, signal) => {
        const info = signal ? `killed by ${signal}` : `exited with code ${code}`;
        // `exit` can come before the last output is read (the error message of a failed start);
        // `close` comes after it, unless an orphaned grandchild still holds the pipes.
        const drained = setTimeout(() => finished(info), 500);
        child.once("close", () => {
          clearTimeout(drained);
          finished(info);
        });
      });
      // Spawn failures (ENOENT, EACCES) emit `error` and never `exit`.
      child.once("error", (err) => finished(`failed to start: ${err.message}`));
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop() ?? "";
        for (const line of parts) this.addLine(line);
      });
      stream.on("end", () => {
        if (partial) this.addLine(partial);
        partial = "";
      });
    }
    await this.waitReady();
  }

  private addLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
    const ready = this.opts.ready;
    if ("log" in ready) {
      ready.log.lastIndex = 0;
      if (ready.log.test(line)) this.logReady = true;
    }
  }

  private async isReady(remainingMs: number): Promise<boolean> {
    const ready = this.opts.ready;
    const probeMs = Math.max(100, Math.min(1000, remainingMs));
    if ("http" in ready) return httpOk(ready.http, probeMs);
    if ("tcp" in ready) return tcpConnects(ready.tcp, probeMs);
    return this.logReady;
  }

  private async waitReady(): Promise<void> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitInfo !== undefined) throw this.failure(`${this.exitInfo} before it was ready`);
      if (await this.isReady(deadline - Date.now())) {
        // The readiness signal can race with a crash right after it.
        if (this.exitInfo !== undefined) throw this.failure(`${this.exitInfo} right after it became ready`);
        return;
      }
      if (Date.now() >= deadline) {
        await this.stop().catch(() => undefined);
        throw this.failure(`not ready within ${timeoutMs} ms (waiting for ${describeReadiness(this.opts.ready)})`);
      }
      await Promise.race([sleep(POLL_MS), this.exited]);
    }
  }

  private failure(message: string): Error {
    const tail = this.output(TAIL_LINES) || "(no output)";
    return new Error(`${this.name}: ${message}\n$ ${this.opts.command} ${this.opts.args.join(" ")}\n--- last ${TAIL_LINES} lines of output ---\n${tail}`);
  }

  private async waitExit(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([this.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  async stop(): Promise<void> {
    await this.terminate(this.opts.stopSignal ?? "SIGTERM");
  }

  async kill(): Promise<void> {
    await this.terminate("SIGKILL");
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined || this.exitInfo !== undefined) return;
    // Children a wrapper (a shell, runuser) started would outlive it; they are taken down after it.
    const before = descendants(child.pid);
    child.kill(signal);
    if (!(await this.waitExit(STOP_GRACE_MS))) {
      child.kill("SIGKILL");
      if (!(await this.waitExit(STOP_GRACE_MS))) throw new Error(`${this.name} (pid ${child.pid}) did not exit after SIGKILL`);
    }
    killSurvivors(before);
  }

  async restart(): Promise<void> {
    await this.stop();
    this.addLine(`--- ${this.name} restarted ---`);
    await this.start();
  }
}

/** Starts a process and resolves once it is ready; it is stopped by `stopAll()` whatever happens next. */
export async function startProcess(opts: ProcessOptions): Promise<ProcessHandle> {
  const proc = new ManagedProcess(opts);
  register(proc);
  await proc.start();
  return proc;
}

/**
 * Starts a server on a port from `freePort()`, retrying with another port when something took the
 * port between `freePort()` and the server's bind (two suites running in parallel do this).
 */
export async function startOnFreePort(build: (port: number) => ProcessOptions, attempts = 3): Promise<{ port: number; process: ProcessHandle }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { port, process: await startProcess(build(port)) };
    } catch (e) {
      if (attempt >= attempts || !/address already in use/i.test(String(e))) throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------------

export interface PostgresHandle {
  port: number;
  user: string;
  password: string;
  /** `postgresql://user:password@127.0.0.1:port/postgres?sslmode=disable`: the secret an exporter gets. */
  dsn: string;
  process: ProcessHandle;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL: a password-protected superuser, password (SCRAM) authentication over
 * TCP so a wrong DSN really is refused, and durability turned off because nothing here outlives the test.
 */
export async function startPostgres(opts: { timeoutMs?: number } = {}): Promise<PostgresHandle> {
  const user = "postgres";
  const password = randomSecret();
  const dir = tempDir("postgres");
  const dataDir = path.join(dir, "data");
  const pwFile = path.join(dir, "pwfile");
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  // PostgreSQL refuses to run as root; as root (CI) it runs as the `postgres` user the package made.
  const osUser = isRoot() ? "postgres" : undefined;
  const ids = osUser ? userIds(osUser) : undefined;
  if (ids) chownRecursive(dir, ids);
  try {
    execFileSync(
      postgresBin("initdb"),
      ["-D", dataDir, "-U", user, `--pwfile=${pwFile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"],
      { stdio: "pipe", timeout: 60000, ...(ids ?? {}) },
    );
  } catch (e: any) {
    throw new Error(`initdb failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  const { port, process: proc } = await startOnFreePort((p) => ({
    name: "postgres",
    command: postgresBin("postgres"),
    args: [
      "-D", dataDir,
      "-p", String(p),
      "-c", `listen_addresses=${LOOPBACK}`,
      // The socket goes beside the data: /var/run/postgresql may not exist or be writable.
      "-k", dir,
      "-c", "fsync=off",
      "-c", "full_page_writes=off",
      "-c", "shared_buffers=16MB",
      "-c", "max_connections=20",
    ],
    user: osUser,
    ready: { log: /database system is ready to accept connections/ },
    // SIGTERM is a "smart" shutdown that waits for clients such as the exporter to leave.
    stopSignal: "SIGINT",
    timeoutMs: opts.timeoutMs ?? 30000,
  }));
  return {
    port,
    user,
    password,
    dsn: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${LOOPBACK}:${port}/postgres?sslmode=disable`,
    process: proc,
    stop: () => proc.stop(),
  };
}

export interface RedisHandle {
  port: number;
  /** `127.0.0.1:port`. */
  address: string;
  password: string;
  process: ProcessHandle;
  stop(): Promise<void>;
}

/** A password-protected Redis without persistence. */
export async function startRedis(opts: { password: string; timeoutMs?: number }): Promise<RedisHandle> {
  const dir = tempDir("redis");
  const { port, process: proc } = await startOnFreePort((p) => ({
    name: "redis",
    command: "redis-server",
    args: ["--port", String(p), "--bind", LOOPBACK, "--requirepass", opts.password, "--save", "", "--appendonly", "no", "--dir", dir],
    ready: { log: /Ready to accept connections/ },
    timeoutMs: opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  }));
  return { port, address: `${LOOPBACK}:${port}`, password: opts.password, process: proc, stop: () => proc.stop() };
}

// ---------------------------------------------------------------------------------------------
// Exporters
// ---------------------------------------------------------------------------------------------

export interface ExporterHandle {
  port: number;
  /** `127.0.0.1:port`: what a scrape job's static target is. */
  address: string;
  /** `http://127.0.0.1:port/metrics`. */
  metricsUrl: string;
  process: ProcessHandle;
  stop(): Promise<void>;
}

async function startExporter(build: (port: number) => ProcessOptions): Promise<ExporterHandle> {
  const { port, process: proc } = await startOnFreePort(build);
  return { port, address: `${LOOPBACK}:${port}`, metricsUrl: `http://${LOOPBACK}:${port}/metrics`, process: proc, stop: () => proc.stop() };
}

/** node-exporter with its default collectors (the metric names dashboards rely on). */
export function startNodeExporter(opts: { extraArgs?: string[]; timeoutMs?: number } = {}): Promise<ExporterHandle> {
  return startExporter((port) => ({
    name: "node-exporter",
    command: bin("node_exporter"),
    args: [`--web.listen-address=${LOOPBACK}:${port}`, ...(opts.extraArgs ?? [])],
    ready: { http: `http://${LOOPBACK}:${port}/` },
    timeoutMs: opts.timeoutMs,
  }));
}

/** blackbox-exporter reading `configText` as its `blackbox.yml`. */
export function startBlackbox(opts: { configText: string; timeoutMs?: number }): Promise<ExporterHandle> {
  const dir = tempDir("blackbox");
  const configFile = path.join(dir, "blackbox.yml");
  fs.writeFileSync(configFile, opts.configText);
  return startExporter((port) => ({
    name: "blackbox-exporter",
    command: bin("blackbox_exporter"),
    args: [`--config.file=${configFile}`, `--web.listen-address=${LOOPBACK}:${port}`],
    ready: { http: `http://${LOOPBACK}:${port}/-/healthy` },
    timeoutMs: opts.timeoutMs,
  }));
}

/** postgres-exporter; the DSN (a secret) goes in `DATA_SOURCE_NAME`, never on the command line. */
export function startPostgresExporter(opts: { dsn: string; timeoutMs?: number }): Promise<ExporterHandle> {
  return startExporter((port) => ({
    name: "postgres-exporter",
    command: bin("postgres_exporter"),
    args: [`--web.listen-address=${LOOPBACK}:${port}`],
    env: { DATA_SOURCE_NAME: opts.dsn },
    ready: { http: `http://${LOOPBACK}:${port}/` },
    timeoutMs: opts.timeoutMs,
  }));
}

/** redis-exporter; the password (a secret) goes in `REDIS_PASSWORD`, never on the command line. */
export function startRedisExporter(opts: { addr: string; password: string; timeoutMs?: number }): Promise<ExporterHandle> {
  return startExporter((port) => ({
    name: "redis-exporter",
    command: bin("redis_exporter"),
    args: [`-web.listen-address=${LOOPBACK}:${port}`, `-redis.addr=${opts.addr}`],
    env: { REDIS_PASSWORD: opts.password },
    ready: { http: `http://${LOOPBACK}:${port}/health` },
    timeoutMs: opts.timeoutMs,
  }));
}

// ---------------------------------------------------------------------------------------------
// Prometheus
// ---------------------------------------------------------------------------------------------

export interface PromSample {
  metric: Record<string, string>;
  /** `[unix seconds, value as text]`, as the API returns it. */
  value: [number, string];
}

export interface PromTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
  lastScrape: string;
}

/** The HTTP API of a Prometheus at `url`: one started here, or one in a container. */
export interface PrometheusClient {
  /** GET an API path (`/api/v1/...`) and return its `data`; throws with Prometheus's error otherwise. */
  api<T = unknown>(apiPath: string, params?: Record<string, string>): Promise<T>;
  /** An instant query, at `at` (epoch seconds) when given; throws unless the result is a vector. */
  query(promql: string, at?: number): Promise<PromSample[]>;
  /** Active targets from `/api/v1/targets`. */
  targets(): Promise<PromTarget[]>;
  /** Alerts from `/api/v1/alerts`. */
  alerts(): Promise<{ labels: Record<string, string>; annotations: Record<string, string>; state: string }[]>;
}

export interface PrometheusHandle extends PrometheusClient {
  port: number;
  /** `http://127.0.0.1:port`. */
  url: string;
  /** `127.0.0.1:port`: a scrape target for Prometheus itself. */
  address: string;
  /** Directory holding `prometheus.yml` and `rules/`. */
  dir: string;
  configPath: string;
  /** The config text Prometheus was started with. */
  configText: string;
  process: ProcessHandle;
  stop(): Promise<void>;
  /** `waitFor` bound to this server: polls `predicate`, see `waitFor`. */
  waitFor<T>(predicate: () => T | Promise<T>, timeoutMs: number, what?: string): Promise<Exclude<T, false>>;
}

export function prometheusClient(url: string): PrometheusClient {
  const api = async <T>(apiPath: string, params: Record<string, string> = {}): Promise<T> => {
    const target = new URL(apiPath, url);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    const res = await fetch(target, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
    if (body.status !== "success") throw new Error(`GET ${target}: ${body.errorType ?? res.status}: ${body.error ?? "no error message"}`);
    return body.data;
  };
  return {
    api,
    async query(promql, at) {
      const data = await api<{ resultType: string; result: PromSample[] }>("/api/v1/query", { query: promql, ...(at === undefined ? {} : { time: String(at) }) });
      if (data.resultType !== "vector") throw new Error(`query ${promql}: expected a vector, got ${data.resultType}`);
      return data.result;
    },
    async targets() {
      return (await api<{ activeTargets: PromTarget[] }>("/api/v1/targets", { state: "active" })).activeTargets;
    },
    async alerts() {
      return (await api<{ alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[] }>("/api/v1/alerts")).alerts;
    },
  };
}

export interface PrometheusOptions {
  /** `prometheus.yml`; a function when the config must name Prometheus's own address (self-scrape). */
  configText: string | ((self: { port: number; address: string }) => string);
  /** Written to `rules/<name>` beside the config, so `rule_files: [rules/*.yml]` finds them. */
  ruleFiles?: Record<string, string>;
  extraArgs?: string[];
  /** The TSDB folder. Default `data` beside the config; given, a test can fill it first (a backfill, a restored backup). */
  dataDir?: string;
  timeoutMs?: number;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusHandle> {
  const dir = tempDir("prometheus");
  const configPath = path.join(dir, "prometheus.yml");
  fs.mkdirSync(path.join(dir, "rules"));
  for (const [name, text] of Object.entries(opts.ruleFiles ?? {})) fs.writeFileSync(path.join(dir, "rules", name), text);
  let configText = "";
  const { port, process: proc } = await startOnFreePort((p) => {
    configText = typeof opts.configText === "function" ? opts.configText({ port: p, address: `${LOOPBACK}:${p}` }) : opts.configText;
    fs.writeFileSync(configPath, configText);
    return {
      name: "prometheus",
      command: bin("prometheus"),
      args: [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${opts.dataDir ?? path.join(dir, "data")}`,
        `--web.listen-address=${LOOPBACK}:${p}`,
        ...(opts.extraArgs ?? []),
      ],
      cwd: dir,
      ready: { http: `http://${LOOPBACK}:${p}/-/ready` },
      timeoutMs: opts.timeoutMs ?? 30000,
    };
  });
  const url = `http://${LOOPBACK}:${port}`;
  return {
    ...prometheusClient(url),
    port,
    url,
    address: `${LOOPBACK}:${port}`,
    dir,
    configPath,
    configText,
    process: proc,
    stop: () => proc.stop(),
    waitFor: (predicate, timeoutMs, what) => waitFor(predicate, timeoutMs, what),
  };
}

// ---------------------------------------------------------------------------------------------
// In-process HTTP server (a probe target)
// ---------------------------------------------------------------------------------------------

export interface HttpServerHandle {
  port: number;
  /** `http://127.0.0.1:port`. */
  url: string;
  stop(): Promise<void>;
}

/** An HTTP server in this process answering every request with `status`. */
export async function startHttpServer(opts: { status?: number; body?: string } = {}): Promise<HttpServerHandle> {
  const server = http.createServer((_req, res) => {
    res.writeHead(opts.status ?? 200, { "content-type": "text/plain" });
    res.end(opts.body ?? "ok\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  let stopped: Promise<void> | undefined;
  const handle: HttpServerHandle = {
    port,
    url: `http://${LOOPBACK}:${port}`,
    stop: () => (stopped ??= closeServer(server)),
  };
  register(handle);
  return handle;
}

// ---------------------------------------------------------------------------------------------
// Alertmanager
// ---------------------------------------------------------------------------------------------

export interface AlertmanagerOptions {
  /** `alertmanager.yml` (it holds the receivers' secrets: it is written to a temp dir, never logged). */
  configText: string;
  /**
   * Cluster peers (`127.0.0.1:port`, another Alertmanager's `clusterAddress`). Given (even empty)
   * or with `clusterPort`, the Alertmanager gossips on 127.0.0.1; otherwise clustering is disabled.
   */
  peers?: string[];
  /** Gossip port on 127.0.0.1. Default: a free port when clustered. */
  clusterPort?: number;
  /** More flags, e.g. `--cluster.peer-timeout=3s`. */
  extraArgs?: string[];
  timeoutMs?: number;
}

/** A member of the gossip cluster, as `/api/v2/status` lists it. */
export interface AlertmanagerPeer {
  name: string;
  address: string;
}

export interface AlertmanagerHandle {
  port: number;
  /** `http://127.0.0.1:port`; also its `--web.external-url`, so a webhook payload's `externalURL` names the sender. */
  url: string;
  /** `127.0.0.1:port`: what Prometheus's `alerting.alertmanagers` static target is. */
  address: string;
  /** `127.0.0.1:port` of the gossip listener: what another Alertmanager's `peers` takes. Undefined when not clustered. */
  clusterAddress: string | undefined;
  dir: string;
  configPath: string;
  configText: string;
  process: ProcessHandle;
  stop(): Promise<void>;
  /** GET an API path (`/api/v2/...`) and return its JSON body; throws on a non-2xx answer. */
  api<T = unknown>(apiPath: string): Promise<T>;
  /** The cluster part of `/api/v2/status`: `ready` once the gossip has settled (`disabled` when not clustered). */
  cluster(): Promise<{ status: string; name?: string; peers: AlertmanagerPeer[] }>;
}

/**
 * A real Alertmanager on 127.0.0.1. Clustered, it listens for gossip on 127.0.0.1 and advertises
 * that address (Alertmanager refuses to guess an advertise address on loopback); not clustered,
 * `--cluster.listen-address=` (empty) turns gossip off, as a single replica runs in production.
 */
export async function startAlertmanager(opts: AlertmanagerOptions): Promise<AlertmanagerHandle> {
  const dir = tempDir("alertmanager");
  const configPath = path.join(dir, "alertmanager.yml");
  fs.writeFileSync(configPath, opts.configText, { mode: 0o600 });
  const clustered = opts.peers !== undefined || opts.clusterPort !== undefined;
  const build = (p: number, clusterPort: number | undefined): ProcessOptions => ({
    name: clusterPort === undefined ? "alertmanager" : `alertmanager(${clusterPort})`,
    command: bin("alertmanager"),
    args: [
      `--config.file=${configPath}`,
      `--storage.path=${path.join(dir, "data")}`,
      `--web.listen-address=${LOOPBACK}:${p}`,
      `--web.external-url=http://${LOOPBACK}:${p}`,
      ...(clusterPort === undefined
        ? ["--cluster.listen-address="]
        : [
            `--cluster.listen-address=${LOOPBACK}:${clusterPort}`,
            `--cluster.advertise-address=${LOOPBACK}:${clusterPort}`,
            ...(opts.peers ?? []).map((peer) => `--cluster.peer=${peer}`),
          ]),
      ...(opts.extraArgs ?? []),
    ],
    cwd: dir,
    ready: { http: `http://${LOOPBACK}:${p}/-/ready` },
    timeoutMs: opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  });
  // Two ports to find, so `startOnFreePort`'s retry is repeated here with both.
  let port = 0;
  let clusterPort: number | undefined;
  let proc: ProcessHandle | undefined;
  for (let attempt = 1; proc === undefined; attempt++) {
    port = await freePort();
    clusterPort = opts.clusterPort;
    if (clustered && clusterPort === undefined) {
      do clusterPort = await freePort();
      while (clusterPort === port);
    }
    try {
      proc = await startProcess(build(port, clusterPort));
    } catch (e) {
      if (attempt >= 3 || !/address already in use/i.test(String(e))) throw e;
    }
  }
  const url = `http://${LOOPBACK}:${port}`;
  const api = async <T>(apiPath: string): Promise<T> => {
    const target = new URL(apiPath, url);
    const res = await fetch(target, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${target}: ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  const started = proc;
  return {
    port,
    url,
    address: `${LOOPBACK}:${port}`,
    clusterAddress: clusterPort === undefined ? undefined : `${LOOPBACK}:${clusterPort}`,
    dir,
    configPath,
    configText: opts.configText,
    process: started,
    stop: () => started.stop(),
    api,
    async cluster() {
      const status = await api<{ cluster: { status: string; name?: string; peers?: AlertmanagerPeer[] | null } }>("/api/v2/status");
      return { status: status.cluster.status, name: status.cluster.name, peers: status.cluster.peers ?? [] };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// In-process webhook receiver (where Alertmanager's notifications land)
// ---------------------------------------------------------------------------------------------

/** One alert of an Alertmanager webhook payload (version 4). */
export interface WebhookAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The JSON body Alertmanager's `webhook_configs` POSTs (version 4). */
export interface WebhookPayload {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** The sending Alertmanager's `--web.external-url`: tells which replica of a cluster sent it. */
  externalURL: string;
  alerts: WebhookAlert[];
}

export interface Notification {
  /** `Date.now()` when the request arrived (its headers), before the body was read. */
  receivedAt: number;
  /** The request path: one receiver server can stand behind several webhook URLs. */
  path: string;
  payload: WebhookPayload;
}

export interface WebhookReceiverHandle {
  port: number;
  /** `http://127.0.0.1:port`; any path under it is accepted. */
  url: string;
  /** Every notification so far, in arrival order. */
  readonly notifications: readonly Notification[];
  /** Requests that were not a JSON webhook payload (a wrong method, a broken body): should stay empty. */
  readonly rejected: readonly string[];
  /** The notifications so far that satisfy `predicate`. */
  matching(predicate: (n: Notification) => boolean): Notification[];
  /**
   * Waits until at least `count` notifications satisfy `predicate` and returns them all (there may
   * be more than `count`); on timeout the error lists every notification received.
   */
  waitForNotifications(count: number, predicate: (n: Notification) => boolean, timeoutMs: number, what?: string): Promise<Notification[]>;
  stop(): Promise<void>;
}

/** One line per notification, for failure messages and logs. */
export function describeNotification(n: Notification): string {
  const labels = Object.entries(n.payload.groupLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return `${new Date(n.receivedAt).toISOString()} ${n.path} receiver=${n.payload.receiver} ${n.payload.status} {${labels}} alerts=${n.payload.alerts?.length ?? 0} from ${n.payload.externalURL}`;
}

/** An HTTP server in this process recording every Alertmanager webhook POST with its arrival time. */
export async function startWebhookReceiver(opts: { host?: string } = {}): Promise<WebhookReceiverHandle> {
  const host = opts.host ?? LOOPBACK;
  const notifications: Notification[] = [];
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      let payload: WebhookPayload | undefined;
      try {
        const parsed = JSON.parse(body) as WebhookPayload;
        if (req.method === "POST" && typeof parsed.status === "string" && Array.isArray(parsed.alerts)) payload = parsed;
      } catch {
        // Rejected below.
      }
      if (!payload) {
        rejected.push(`${req.method} ${req.url}: ${body.slice(0, 200)}`);
        res.writeHead(400, { "content-type": "text/plain" });
        res.end("expected a POSTed Alertmanager webhook payload\n");
        return;
      }
      notifications.push({ receivedAt, path: req.url ?? "/", payload });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  let stopped: Promise<void> | undefined;
  const matching = (predicate: (n: Notification) => boolean) => notifications.filter(predicate);
  const handle: WebhookReceiverHandle = {
    port,
    url: `http://${host}:${port}`,
    notifications,
    rejected,
    matching,
    waitForNotifications: (count, predicate, timeoutMs, what = `${count} matching notification(s)`) =>
      waitFor(
        () => {
          const found = matching(predicate);
          if (found.length >= count) return found;
          throw new Error(`${found.length} of ${count} so far; all ${notifications.length} received:\n${notifications.map(describeNotification).join("\n") || "(none)"}`);
        },
        timeoutMs,
        what,
        100,
      ),
    stop: () => (stopped ??= closeServer(server)),
  };
  register(handle);
  return handle;
}

/**
 * Closes an in-process HTTP server. Keep-alive connections (a prober's, Alertmanager's) would
 * otherwise hold `close()` open, so they are dropped too.
 */
function closeServer(server: import("http").Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
