import { DeployedParts } from "../../components/rules/rule-files";

/** Every part of the stack deployed, on Kubernetes with a self-managed control plane; `tracing` as asked. */
export function everyPart(tracing: "jaeger" | "tempo"): DeployedParts {
  return {
    platform: "kubernetes",
    exporters: { node: true, cadvisor: true, kubeStateMetrics: true, postgres: true, redis: true, blackbox: true },
    alertmanager: true,
    alertmanagerClustered: true,
    logs: true,
    // Not one real config (Loki and OpenSearch are alternatives), but every group's switch on.
    opensearch: true,
    errorTracking: true,
    backups: { staleAfterSeconds: 43200 },
    tracing,
    grafana: true,
    kubeletMetrics: true,
    controlPlane: true,
  };
}
