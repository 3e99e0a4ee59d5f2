import { spawnSync } from "child_process";
import { databaseUrl, defaultFromEmail, dsnTemplate, glitchtipEnv, glitchtipWorkerScript, renderValkeyConfig, valkeyUrl } from "../components/errortracking/glitchtip-config";
import { errorTrackingIssues, errorTrackingSchema } from "../components/errortracking/config";

/** GlitchTip's rendered settings, parsed back; the `errorTracking` schema's defaults and checks. */

describe("GlitchTip's settings", () => {
  it("the environment: the URL in every DSN, registration and organization creation off, the retention", () => {
    expect(glitchtipEnv({ url: "https://errors.example.com", fromEmail: "glitchtip@example.com", eventRetentionDays: 30, openRegistration: false, adminEmail: "sre@example.com" })).toStrictEqual({
      GLITCHTIP_DOMAIN: "https://errors.example.com",
      ALLOWED_HOSTS: "errors.example.com",
      DEFAULT_FROM_EMAIL: "glitchtip@example.com",
      GLITCHTIP_MAX_EVENT_LIFE_DAYS: "30",
      ENABLE_USER_REGISTRATION: "False",
      ENABLE_ORGANIZATION_CREATION: "False",
      PORT: "8000",
      DJANGO_SUPERUSER_EMAIL: "sre@example.com",
    });
    expect(glitchtipEnv({ url: "http://127.0.0.1:8000", fromEmail: "g@localhost", eventRetentionDays: 90, openRegistration: false, adminEmail: "sre@example.com", internalHosts: ["glitchtip", "127.0.0.1"] }).ALLOWED_HOSTS).toBe("127.0.0.1,glitchtip");
    expect(defaultFromEmail("https://errors.example.com/")).toBe("glitchtip@errors.example.com");
    expect(defaultFromEmail("http://127.0.0.1:8000")).toBe("glitchtip@localhost");
  });

  it("the worker's script is valid sh: migrate, make the admin only if absent, then become the worker", () => {
    const script = glitchtipWorkerScript();
    expect(spawnSync("sh", ["-n"], { input: script }).status).toBe(0);
    const lines = script.split("\n");
    expect(lines.indexOf("./bin/run-migrate.sh")).toBeLessThan(lines.findIndex((l) => l.includes("createsuperuser --noinput")));
    expect(lines.filter((l) => l.trim() !== "").pop()).toBe("exec ./bin/run-worker.sh");
    // Never a password in the script: createsuperuser reads DJANGO_SUPERUSER_PASSWORD from the environment.
    expect(script).not.toMatch(/PASSWORD=/);
  });

  it("Valkey's config: a password, no eviction, no persistence; and a password that would break the file is refused", () => {
    const conf = Object.fromEntries(renderValkeyConfig("s3cretPass").trim().split("\n").map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]));
    expect(conf).toMatchObject({ requirepass: "s3cretPass", "maxmemory-policy": "noeviction", appendonly: "no", save: '""', port: "6379" });
    expect(() => renderValkeyConfig("with space")).toThrow("must not contain whitespace");
  });

  it("URLs encode the password, and the DSN's shape carries the public URL's host", () => {
    expect(valkeyUrl("p@ss/word", "glitchtip-valkey:6379")).toBe("redis://:p%40ss%2Fword@glitchtip-valkey:6379/0");
    expect(new URL(databaseUrl("p@ss", "glitchtip-postgres:5432")).password).toBe("p%40ss");
    expect(dsnTemplate("https://errors.example.com")).toBe("https://<project key>@errors.example.com/<project id>");
  });
});

describe("errorTracking config", () => {
  it("is off by default, with bundled PostgreSQL and Valkey when on", () => {
    const cfg = errorTrackingSchema.parse({});
    expect([cfg.enabled, cfg.database.bundled, cfg.valkey.bundled, cfg.eventRetentionDays, cfg.openRegistration, cfg.hostPort]).toStrictEqual([false, true, true, 90, false, 8000]);
    expect(errorTrackingIssues(cfg, new Set())).toStrictEqual([]);
  });

  it("your own database and Valkey need their URLs as secrets", () => {
    const cfg = errorTrackingSchema.parse({ enabled: true, adminEmail: "sre@example.com", database: { bundled: false }, valkey: { bundled: false } });
    expect(errorTrackingIssues(cfg, new Set(["glitchtipSecretKey"])).map(([p]) => p)).toStrictEqual([["glitchtipDatabaseUrl"], ["glitchtipValkeyUrl"]]);
    expect(errorTrackingIssues(cfg, new Set(["glitchtipSecretKey", "glitchtipDatabaseUrl", "glitchtipValkeyUrl"]))).toStrictEqual([]);
  });

  it("names what is wrong in an email or a URL", () => {
    const r = errorTrackingSchema.safeParse({ enabled: true, adminEmail: "sre", url: "errors.example.com" });
    expect(r.success ? [] : r.error.issues.map((i) => [i.path.join("."), i.message])).toStrictEqual([
      ["url", "must be a URL (e.g. https://errors.example.com)"],
      ["adminEmail", "must be an email address (e.g. sre@example.com)"],
    ]);
  });
});
