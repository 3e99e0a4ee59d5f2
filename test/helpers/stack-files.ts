import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/** The `config:` of `Pulumi.<stack>.yaml`, as the Pulumi engine hands it to the program (values as strings). */
export function stackFileConfig(stack: string): Record<string, string> {
  const file = path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** Receiver credentials of the stack files, as `pulumi config set --secret --path` would store them. */
export const testAlertingSecrets: Record<string, string> = {
  "default.webhook[0]": "https://hooks.example.com/alerts/default-S3cret-Token",
  "oncall.pagerduty[0]": "pagerduty-S3cret-RoutingKey",
  "chat.slack[0]": "https://hooks.slack.com/services/T000/B000/slack-S3cret",
  "deadmans-switch.webhook[0]": "https://deadman.example.com/ping/deadman-S3cret",
};

/** Secrets a test supplies to a stack, as `pulumi config set --secret` would. */
export const testSecrets: Record<string, string> = {
  "observability:postgresDsn": "postgresql://exporter:pg-S3cret-Value@postgres.data.svc:5432/postgres?sslmode=require",
  "observability:redisPassword": "redis-S3cret-Value",
  "observability:alertingSecrets": JSON.stringify(testAlertingSecrets),
};

/** The secrets each stack file needs. */
export function secretsFor(stack: "dev" | "prod"): Record<string, string> {
  if (stack === "prod") return testSecrets;
  return { "observability:alertingSecrets": JSON.stringify({ "default.webhook[0]": testAlertingSecrets["default.webhook[0]"] }) };
}

/** A stack file's config as `ObservabilityStack` takes it: top-level keys without the namespace. */
export function stackFileRaw(stack: string): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stackFileConfig(stack))) {
    const name = key.slice(key.indexOf(":") + 1);
    try {
      raw[name] = JSON.parse(value);
    } catch {
      raw[name] = value;
    }
  }
  return raw;
}

/** The secrets of a stack file as `ObservabilityStack`'s `secrets` argument (plain test values). */
export function stackFileSecrets(stack: "dev" | "prod"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(secretsFor(stack))) {
    const name = key.slice(key.indexOf(":") + 1);
    out[name] = name === "alertingSecrets" ? JSON.parse(value) : value;
  }
  return out;
}
