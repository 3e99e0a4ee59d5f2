import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { images } from "../../components/shared/versions";
import { binDir, recipes } from "../../scripts/toolchain/recipes";
import { SOCKET_PROXY_DEFAULTS, STAND_INS, standInTag } from "../../scripts/images/recipes";
import { describeWithDocker } from "../helpers/docker-engine";

/**
 * The stand-in images (`npm run images`) keep the upstream layout the stack relies on, and carry
 * the pinned release: their configuration as Docker reports it, the version their binary prints,
 * and what the stack's healthchecks need (wget where upstream has busybox or alpine, none where
 * upstream is scratch or distroless).
 */

const toolchain = recipes(fs.readFileSync(path.join(__dirname, "..", "..", "package-lock.json"), "utf8"));

function inspect(tag: string): any {
  const r = spawnSync("docker", ["image", "inspect", tag], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout)[0].Config;
}

function run(tag: string, args: string[], entrypoint?: string): { status: number | null; out: string } {
  const r = spawnSync("docker", ["run", "--rm", "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", ...(entrypoint ? ["--entrypoint", entrypoint] : []), tag, ...args], { encoding: "utf8", timeout: 60000 });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

describeWithDocker("stand-in images: the upstream layout around the pinned binaries", [...STAND_INS.map((s) => standInTag(s.image)), standInTag("dockerSocketProxy")], () => {
  it.each(STAND_INS.map((s) => [s.image, s] as const))("%s: user, entrypoint, arguments, ports, volumes and working directory as upstream's", (_name, spec) => {
    const config = inspect(standInTag(spec.image));
    expect({
      User: config.User,
      Entrypoint: config.Entrypoint,
      Cmd: config.Cmd ?? undefined,
      ExposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
      Volumes: Object.keys(config.Volumes ?? {}).sort(),
      WorkingDir: config.WorkingDir || undefined,
    }).toEqual({
      User: spec.user,
      Entrypoint: spec.entrypoint,
      Cmd: spec.cmd,
      ExposedPorts: spec.ports.map((p) => `${p}/tcp`).sort(),
      Volumes: [...(spec.volumes ?? [])].sort(),
      WorkingDir: spec.workdir,
    });
    for (const [k, v] of Object.entries(spec.env ?? {})) expect(config.Env).toContain(`${k}=${v}`);
  });

  it.each(STAND_INS.map((s) => [s.image, s] as const))("%s: its binary is the toolchain's, at the pinned release", (_name, spec) => {
    const recipe = toolchain.find((r) => r.name === spec.binaries[0].recipe)!;
    // The binary the toolchain checks the version of (promtool for Prometheus' recipe).
    const main = spec.binaries.find((b) => b.binary === recipe.versionCheck.binary)!;
    expect(images[spec.image]).toContain(recipe.version);
    const { status, out } = run(standInTag(spec.image), recipe.versionCheck.args, main.to);
    expect({ status, pinned: out.includes(recipe.versionCheck.expect) }).toEqual({ status: 0, pinned: true });
    // Byte for byte the binary the toolchain tests run.
    const cid = spawnSync("docker", ["create", standInTag(spec.image)], { encoding: "utf8" }).stdout.trim();
    try {
      const copy = spawnSync("docker", ["cp", `${cid}:${main.to}`, "-"], { maxBuffer: 1024 * 1024 * 1024 });
      expect(copy.status).toBe(0);
      const local = fs.readFileSync(path.join(binDir(recipe), main.binary));
      // `docker cp -` writes a tar: the file's bytes follow a 512-byte header.
      expect(Buffer.compare(copy.stdout.subarray(512, 512 + local.length), local)).toBe(0);
    } finally {
      spawnSync("docker", ["rm", cid]);
    }
  });

  it.each(STAND_INS.map((s) => [s.image, s] as const))("%s: a shell and wget exactly where upstream's base has them", (_name, spec) => {
    const { status } = run(standInTag(spec.image), ["-c", "command -v wget"], "/bin/sh");
    expect(status === 0).toBe(spec.base === "busybox");
  });

  it("the socket proxy: upstream's switches and defaults, haproxy and wget, root", () => {
    const config = inspect(standInTag("dockerSocketProxy"));
    expect(config.User).toBe("root");
    expect(Object.keys(config.ExposedPorts)).toEqual(["2375/tcp"]);
    for (const [k, v] of Object.entries(SOCKET_PROXY_DEFAULTS)) expect(config.Env).toContain(`${k}=${v}`);
    const { status, out } = run(standInTag("dockerSocketProxy"), ["-c", "haproxy -v && command -v wget"], "/bin/sh");
    expect(status).toBe(0);
    expect(out).toMatch(/HAProxy version 2\.\d+/);
  });
});
