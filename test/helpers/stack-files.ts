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

/** Secrets a test supplies to a stack, as `pulumi config set --secret` would. */
export const testSecrets: Record<string, string> = {
  "observability:postgresDsn": "postgresql://exporter:pg-S3cret-Value@postgres.data.svc:5432/postgres?sslmode=require",
  "observability:redisPassword": "redis-S3cret-Value",
};
