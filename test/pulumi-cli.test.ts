import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "crypto";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { readStackConfig } from "../components/stack/config-loader";
import { bin, describeWithBinaries } from "./helpers/binaries";

/**
 * The README's config commands, run by the real Pulumi CLI of the release `@pulumi/pulumi` is
 * locked at (built by the toolchain), offline: a local file backend, passphrase secrets, an
 * isolated PULUMI_HOME and no plugin download. What the CLI writes into `Pulumi.<stack>.yaml`
 * and hands a program (`pulumi config --json`, the values the engine passes the language host)
 * must be what our loader reads, with secrets still secret.
 *
 * What this does not do: run the program. The CLI needs the Node.js language host and the
 * providers for that, which the Go module proxy here does not serve (README, "Not built").
 */

const ROOT = path.resolve(__dirname, "..");

describeWithBinaries("the README's config commands, run by the real Pulumi CLI", ["pulumi"], () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const canary = `https://hooks.example.com/alerts/canary-${randomBytes(8).toString("hex")}`;
  const pulumiCli = (...args: string[]): string => execFileSync(bin("pulumi"), args, { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

  /** The config the engine hands the program: each value as a string (objects as JSON), and which are secret. */
  const engineConfig = (stack: string): { values: Record<string, string>; secretKeys: string[] } => {
    const json = JSON.parse(pulumiCli("config", "--stack", stack, "--json", "--show-secrets")) as Record<string, { value?: string; secret: boolean; objectValue?: unknown }>;
    const values: Record<string, string> = {};
    for (const [key, v] of Object.entries(json)) values[key] = v.objectValue !== undefined ? JSON.stringify(v.objectValue) : (v.value ?? "");
    return { values, secretKeys: Object.entries(json).filter(([, v]) => v.secret).map(([k]) => k) };
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-pulumi-cli-"));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    fs.mkdirSync(path.join(dir, "state"));
    env = {
      ...process.env,
      PULUMI_HOME: path.join(dir, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "a test passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    pulumiCli("stack", "init", "dev", "--secrets-provider", "passphrase");
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reports the release package-lock.json holds for @pulumi/pulumi", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    expect(pulumiCli("version").trim()).toBe(`v${lock.packages["node_modules/@pulumi/pulumi"].version}`);
  });

  it("stores the webhook set as the README says encrypted, and changes nothing else in the stack file", () => {
    const before = yaml.load(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    pulumiCli("config", "set", "--stack", "dev", "--secret", "--path", 'alertingSecrets["default.webhook[0]"]', canary);
    const text = fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
    expect(text).not.toContain(canary);
    expect(text).not.toContain(canary.slice(-16));
    const after = yaml.load(text) as { encryptionsalt?: string; config: Record<string, any> };
    expect(typeof after.config["observability:alertingSecrets"]["default.webhook[0]"].secure).toBe("string");
    const { ["observability:alertingSecrets"]: added, ...rest } = after.config;
    expect(Object.keys(added)).toStrictEqual(["default.webhook[0]"]);
    expect(rest).toStrictEqual(before.config);
  });

  it("hands the program a config our loader accepts, the webhook still a secret", async () => {
    const { values, secretKeys } = engineConfig("dev");
    expect(secretKeys).toStrictEqual(["observability:alertingSecrets"]);
    pulumi.runtime.setAllConfig(values, secretKeys);
    const { config, secrets } = readStackConfig();
    expect(config.platform).toBe("docker");
    const webhook = secrets.alertingSecrets!["default.webhook[0]"] as pulumi.Output<string>;
    expect(pulumi.Output.isInstance(webhook)).toBe(true);
    expect(await pulumi.isSecret(webhook)).toBe(true);
    const plain = await new Promise<string>((resolve) => webhook.apply((v) => resolve(v)));
    expect(plain).toBe(canary);
  });

  it("a bad value set through the CLI stops the program with the path-named message", () => {
    pulumiCli("config", "set", "--stack", "dev", "--path", "prometheus.retention", "3 days");
    const { values, secretKeys } = engineConfig("dev");
    pulumi.runtime.setAllConfig(values, secretKeys);
    expect(() => readStackConfig()).toThrow('observability:prometheus.retention: "3 days" is not a duration');
  });
});
