import { readStackConfig } from "./components/config/load";
import { ObservabilityStack } from "./components/observability";

// The Pulumi program: `pulumi up --stack dev` (Docker) or `--stack prod` (Kubernetes).
// Config is read and validated here, at the edge; an invalid config stops before any resource.
const { config, secrets } = readStackConfig();
const stack = new ObservabilityStack("observability", { config, secrets });

/** Every URL a user opens. */
export const urls = stack.urls;
export const prometheusUrl = stack.prometheus.url;
