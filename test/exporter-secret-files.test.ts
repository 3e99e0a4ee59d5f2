import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stackConfigSchema } from "../components/stack/config-schema";
import { postgresExporterSpec, redisExporterSpec } from "../components/metrics/workloads";
import { WorkloadSpec } from "../components/platform/types";
import { bin, describeWithBinaries } from "./helpers/binaries";
import { freePort, postgresBin, startPostgres, startProcess, startRedis, stopAll, tempDir, waitFor } from "./helpers/processes";

/**
 * The exporters' credentials are files, named by env vars (components/metrics/workloads.ts).
 * Here the pinned exporters run with exactly the env and files of their WorkloadSpec, the files'
 * container paths moved under a temporary directory, against a real PostgreSQL and Redis that
 * refuse a wrong password: a file in a format the exporter does not read fails the test.
 */

const exporters = stackConfigSchema.parse({ platform: "docker" }).exporters;

const resolve = <T>(value: pulumi.Input<T>): Promise<T> => new Promise((done) => pulumi.output(value).apply((v) => done(v as T)));

/** The spec's files written under `root` (mode 0400, as on Docker), and its env with those paths moved there too. */
async function realize(spec: WorkloadSpec, root: string): Promise<Record<string, string>> {
  const moved: Record<string, string> = {};
  for (const file of spec.files ?? []) {
    const local = path.join(root, file.path);
    fs.mkdirSync(path.dirname(local), { recursive: true });
    fs.writeFileSync(local, await resolve(file.content), { mode: file.secret ? 0o400 : 0o444 });
    moved[file.path] = local;
  }
  expect(spec.secretEnv).toBeUndefined();
  return Object.fromEntries(Object.entries(spec.env ?? {}).map(([k, v]) => [k, moved[v] ?? v]));
}

/** Runs an exporter with `env` (and nothing secret of the test's own environment) and returns one metric's line. */
async function metricOf(binary: string, listenFlag: string, env: Record<string, string>, metric: string): Promise<string> {
  const port = await freePort();
  await startProcess({ name: binary, command: bin(binary), args: [`${listenFlag}=127.0.0.1:${port}`], env, ready: { http: `http://127.0.0.1:${port}/` }, timeoutMs: 30000 });
  return waitFor(async () => (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split("\n").find((l) => l.startsWith(`${metric} `)) ?? false, 30000, metric);
}

describeWithBinaries("the exporters read their credentials from the files their specs deliver", ["postgres_exporter", "redis_exporter", "redis-server", postgresBin("initdb"), postgresBin("postgres"), postgresBin("psql")], () => {
  afterAll(() => stopAll());

  it("postgres-exporter connects with the DSN split into files, a user and password full of URL syntax included", async () => {
    const pg = await startPostgres();
    const user = "mon@itor";
    const password = "p@ss:w/o%rd#1?&=,+ü'x";
    const { execFileSync } = await import("child_process");
    execFileSync(postgresBin("psql"), ["-h", "127.0.0.1", "-p", String(pg.port), "-U", pg.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", `CREATE ROLE "${user}" LOGIN PASSWORD '${password.replace(/'/g, "''")}'`], {
      env: { ...process.env, PGPASSWORD: pg.password },
      stdio: "pipe",
    });
    const dsn = `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
    const env = await realize(postgresExporterSpec(exporters.postgres, dsn), tempDir("pg-secret-files"));
    expect(Object.keys(env).filter((k) => k.startsWith("DATA_SOURCE_"))).toStrictEqual(["DATA_SOURCE_PASS_FILE", "DATA_SOURCE_URI_FILE", "DATA_SOURCE_USER_FILE"]);
    expect(await metricOf("postgres_exporter", "--web.listen-address", env, "pg_up")).toBe("pg_up 1");
    // A DSN without a password still gives three non-empty files (a final newline the exporter trims).
    const passwordless = postgresExporterSpec(exporters.postgres, `postgresql://${encodeURIComponent(user)}@127.0.0.1:${pg.port}/postgres?sslmode=disable`);
    expect(await resolve(passwordless.files!.find((f) => f.path.endsWith("/password"))!.content)).toBe("\n");
    // The control: the same files with a wrong password are refused, so pg_up 1 above was the password's doing.
    const wrong = await realize(postgresExporterSpec(exporters.postgres, dsn.replace(encodeURIComponent(password), "wrong")), tempDir("pg-secret-files"));
    expect(await metricOf("postgres_exporter", "--web.listen-address", wrong, "pg_up")).toBe("pg_up 0");
  });

  it.each([["host:port"], ["redis://host:port"]])("redis_exporter authenticates from the password file for an address %s", async (form) => {
    const password = 'r3dis-"pw"\\ {json}';
    const redis = await startRedis({ password });
    const address = form === "host:port" ? redis.address : `redis://${redis.address}`;
    const cfg = { ...exporters.redis, enabled: true, address };
    const env = await realize(redisExporterSpec(cfg, password), tempDir("redis-secret-files"));
    expect(Object.keys(env)).toContain("REDIS_PASSWORD_FILE");
    expect(await metricOf("redis_exporter", "-web.listen-address", env, "redis_up")).toBe("redis_up 1");
    // The control: without the file the exporter cannot log in.
    const none = await realize(redisExporterSpec(cfg, undefined), tempDir("redis-secret-files"));
    expect(await metricOf("redis_exporter", "-web.listen-address", none, "redis_up")).toBe("redis_up 0");
  });
});
