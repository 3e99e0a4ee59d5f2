import * as http from "http";
import { spawnSync } from "child_process";
import { describeWhenReady } from "./binaries";

/**
 * A small client of the Docker Engine API (v1.41, Debian's docker.io 20.10) over its unix socket,
 * for the deploy tests: nothing but `http` from Node.
 */

export const DOCKER_SOCKET = process.env.OBS_DOCKER_SOCKET ?? "/var/run/docker.sock";
const API = "/v1.41";

export class DockerApiError extends Error {
  constructor(public readonly status: number, method: string, path: string, body: string) {
    super(`docker ${method} ${path}: ${status} ${body.trim().slice(0, 500)}`);
  }
}

/** One API call; JSON in and out, or a raw body (a tar) in. */
export function dockerApi<T = any>(method: string, path: string, body?: unknown, opts: { raw?: Buffer; contentType?: string; timeoutMs?: number } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = opts.raw ?? (body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    const req = http.request(
      {
        socketPath: DOCKER_SOCKET,
        path: `${API}${path}`,
        method,
        headers: {
          ...(payload ? { "content-type": opts.contentType ?? "application/json", "content-length": payload.length } : {}),
        },
        timeout: opts.timeoutMs ?? 120000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if ((res.statusCode ?? 500) >= 300) return reject(new DockerApiError(res.statusCode ?? 0, method, path, text));
          if (text === "") return resolve(undefined as T);
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            resolve(text as unknown as T);
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`docker ${method} ${path}: timed out`)));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Awaits an API call, treating the given statuses (a 404 for what is already gone, say) as success. */
export async function allowStatus(call: Promise<unknown>, ...statuses: number[]): Promise<void> {
  try {
    await call;
  } catch (e) {
    if (!(e instanceof DockerApiError) || !statuses.includes(e.status)) throw e;
  }
}

/** True when a Docker engine answers on the socket. */
export function dockerAnswers(): boolean {
  return spawnSync("docker", ["info"], { encoding: "utf8", timeout: 20000 }).status === 0;
}

/** True when every image is present in the engine (stand-ins are built by `npm run images`). */
export function missingImages(refs: string[]): string[] {
  return refs.filter((ref) => spawnSync("docker", ["image", "inspect", ref], { encoding: "utf8" }).status !== 0);
}

/**
 * A POSIX tar (ustar) of regular files, as the archive endpoint takes it: each with its mode and
 * owner, and its parent directories.
 */
export function tarOf(files: { path: string; content: Buffer | string; mode: number; uid?: number; gid?: number }[]): Buffer {
  const blocks: Buffer[] = [];
  const header = (name: string, size: number, mode: number, uid: number, gid: number, type: "0" | "5") => {
    const h = Buffer.alloc(512, 0);
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf("/");
      const prefix = name.slice(0, cut);
      if (Buffer.byteLength(prefix) > 155 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${name}`);
      h.write(name.slice(cut + 1), 0, 100, "utf8");
      h.write(prefix, 345, 155, "utf8");
    } else {
      h.write(name, 0, 100, "utf8");
    }
    const octal = (n: number, len: number) => n.toString(8).padStart(len - 1, "0") + "\0";
    h.write(octal(mode, 8), 100, 8, "ascii");
    h.write(octal(uid, 8), 108, 8, "ascii");
    h.write(octal(gid, 8), 116, 8, "ascii");
    h.write(octal(size, 12), 124, 12, "ascii");
    h.write(octal(Math.floor(Date.now() / 1000), 12), 136, 12, "ascii");
    h.write("        ", 148, 8, "ascii");
    h.write(type, 156, 1, "ascii");
    h.write("ustar\0", 257, 6, "ascii");
    h.write("00", 263, 2, "ascii");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
    return h;
  };
  const dirs = new Set<string>();
  for (const f of files) {
    const rel = f.path.replace(/^\/+/, "");
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/") + "/";
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      blocks.push(header(dir, 0, 0o755, 0, 0, "5"));
    }
    const content = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, "utf8");
    blocks.push(header(rel, content.length, f.mode, f.uid ?? 0, f.gid ?? 0, "0"));
    blocks.push(content);
    const pad = (512 - (content.length % 512)) % 512;
    if (pad > 0) blocks.push(Buffer.alloc(pad, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

export interface ContainerState {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; Pid: number; Health?: { Status: string; Log?: { Output: string }[] }; ExitCode: number };
  RestartCount: number;
  Config: { Image: string; Labels: Record<string, string> };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null>; Networks: Record<string, { IPAddress: string }> };
}

export const inspectContainer = (name: string) => dockerApi<ContainerState>("GET", `/containers/${encodeURIComponent(name)}/json`);

/** The last lines of a container's output, for failure messages. */
export function containerLogs(name: string, lines = 30): string {
  const r = spawnSync("docker", ["logs", "--tail", String(lines), name], { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`;
}

/**
 * `describe` when a Docker engine answers and every image is present; in CI anything missing
 * fails loudly; elsewhere the suite is reported as skipped with the commands that provide them.
 */
export function describeWithDocker(title: string, images: string[], fn: () => void): void {
  const engine = dockerAnswers();
  const absent = engine ? missingImages(images) : images;
  const message = !engine
    ? `${title}: needs a Docker engine (sudo apt-get install docker.io && sudo scripts/images/dockerd.sh) and the stand-in images (npm run toolchain && npm run images)`
    : absent.length > 0
      ? `${title}: needs the images ${absent.join(", ")} (npm run toolchain && npm run images)`
      : undefined;
  describeWhenReady(title, message, "has the Docker engine and images it needs", fn);
}
