/**
 * The plugin's entry: what Python, Go, C#, Java and YAML programs get through
 * `pulumi package add <checkout>/plugin` (PulumiPlugin.yaml, `runtime: nodejs`).
 *
 * Pulumi's Node.js component host (`@pulumi/pulumi` cmd/run-plugin) `require`s this directory and
 * serves EVERY ComponentResource class it exports; its analyser (provider/experimental/analyzer)
 * turns each one's `args` interface and properties into the package schema, and fails on the first
 * type it cannot map. So this entry exports one component, `ObservabilityStack`, whose args are
 * named interfaces (components/stack/args.generated.ts) and whose only properties are outputs of
 * plain types. The parts (PrometheusStack, AlertRouting, ...) take a `Platform` object and
 * validated config slices: TypeScript only, by design, and not exported here.
 *
 * The provider's name is this package.json's `name`, `observability`: the host only constructs
 * types of its own package, `observability:index:ObservabilityStack`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ObservabilityStackConfig } from "../components/stack/args.generated";
import { configPath, parseStackConfig, PresentSecrets, StackSecrets } from "../components/stack/config-loader";
import { ObservabilityStack as Stack } from "../components/stack/observability-stack";
import { validateStack } from "../components/stack/validate-stack";

export interface ObservabilityStackArgs {
  /**
   * The stack's configuration: what a TypeScript program reads from the `observability:` keys of
   * `Pulumi.<stack>.yaml` (docs/config-reference.md). Plain values, known at preview: they decide
   * which resources exist. Validated before any resource is registered; defaults applied.
   */
  config: ObservabilityStackConfig;
  /**
   * Credentials, each value a Pulumi secret; the keys (and those of `alertingSecrets`) are plain,
   * so that a missing credential is named at preview. Default none.
   */
  secrets?: StackSecrets;
}

/**
 * The whole observability stack on Docker or Kubernetes: Prometheus and its exporters,
 * Alertmanager with the configured routing, Loki with the Alloy agent, the OpenTelemetry Collector
 * with Jaeger or Tempo, and Grafana; every pillar but metrics can be switched off in `config`.
 *
 * It holds the TypeScript library's `ObservabilityStack` of the same name, which builds everything.
 * Every property of this class is an output: the host maps all of them into the schema.
 */
export class ObservabilityStack extends pulumi.ComponentResource {
  /** Every URL a user opens, by name (`prometheus`, `alertmanager`, `grafana`, `loki`, `jaeger` or `tempo`). */
  public readonly urls: pulumi.Output<Record<string, string>>;
  /** Where applications send telemetry, by name: `otlpGrpc` and `otlpHttp` with tracing, `lokiPush` with logs. */
  public readonly endpoints: pulumi.Output<Record<string, string>>;
  /** The admin password of a deployed Grafana, a secret: the one given in `secrets`, else the generated one. None when Grafana is `existing` or disabled. */
  public readonly grafanaAdminPassword: pulumi.Output<string | undefined>;

  constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Everything is checked before this component is registered, as the library does for itself.
    const { config, secrets, present } = stackArgs(args);
    validateStack(parseStackConfig({ ...config }, present));
    super("observability:index:ObservabilityStack", name, {}, opts);

    const stack = new Stack(name, { config, secrets }, { parent: this });
    this.urls = stack.urls;
    this.endpoints = pulumi.output(stack.endpoints);
    this.grafanaAdminPassword = stack.grafana ? stack.grafana.adminPassword : pulumi.output(undefined);
    this.registerOutputs({ urls: this.urls, endpoints: this.endpoints, grafanaAdminPassword: this.grafanaAdminPassword });
  }
}

/**
 * The library's args from what the host passes, whose values may be Outputs anywhere (a secret, a
 * value another resource computes). The config must be plain and the secrets' keys known: throws,
 * naming the field, otherwise.
 */
function stackArgs(args: ObservabilityStackArgs | undefined): { config: ObservabilityStackConfig; secrets: StackSecrets; present: PresentSecrets } {
  // A config without `platform` (or none at all) is for the schema to reject, naming the field.
  const config = args?.config ?? ({} as ObservabilityStackConfig);
  if (!isPlainObject(config)) {
    throw new Error("config must be an object of plain values (a secret or computed config is not known at preview; pass credentials in `secrets`)");
  }
  const computed = outputsIn(config, []);
  if (computed.length > 0) {
    throw new Error(
      `config takes plain values, known at preview (they decide which resources exist); pass credentials in \`secrets\`. ` +
        `A secret or computed value is at: ${computed.map((p) => configPath(p)).join(", ")}`,
    );
  }
  const secrets = (args?.secrets ?? {}) as unknown;
  if (!isPlainObject(secrets)) {
    throw new Error("secrets must be an object of named values, each of which may be a secret; not one secret object (its keys would be unknown at preview)");
  }
  const alerting = (secrets as StackSecrets).alertingSecrets as unknown;
  if (alerting !== undefined && !isPlainObject(alerting)) {
    throw new Error("secrets.alertingSecrets must be a map whose keys are plain (`<receiver>.<integration>[i]`) and whose values may be secrets; not one secret object (its keys would be unknown at preview)");
  }
  const given = secrets as StackSecrets;
  const names = Object.entries(given).filter(([, v]) => v !== undefined && v !== null).map(([k]) => k);
  return { config, secrets: given, present: { names, alertingKeys: Object.keys(given.alertingSecrets ?? {}) } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !pulumi.Output.isInstance(value) && !pulumi.isUnknown(value);
}

/** Config paths of every Output (or unknown) inside a value. */
function outputsIn(value: unknown, at: (string | number)[]): (string | number)[][] {
  if (pulumi.Output.isInstance(value) || pulumi.isUnknown(value)) return [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => outputsIn(v, [...at, i]));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => outputsIn(v, [...at, k]));
  return [];
}
