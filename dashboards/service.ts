import { FOLDERS } from "./common";
import { http } from "./http";

let base: string | undefined;

/**
 * A monitored service's own RED dashboard (`ObservabilityStack.monitorService`): the HTTP RED
 * dashboard with its `service` variable fixed to the service, under a stable uid of its own.
 */
export function serviceDashboard(service: string): { uid: string; folder: string; json: Record<string, any> } {
  // Built once: the builders cost milliseconds, and a stack may monitor a thousand services.
  base ??= JSON.stringify(http.build());
  const json = JSON.parse(base) as Record<string, any>;
  const uid = `obs-svc-${service}`.slice(0, 40);
  const templating = (json.templating?.list ?? []) as Record<string, any>[];
  return {
    uid,
    folder: FOLDERS.applications,
    json: {
      ...json,
      uid,
      title: `${service}: HTTP (RED)`,
      templating: {
        ...json.templating,
        // A constant, hidden variable: every panel's `$service` is this service.
        list: templating.map((v) => (v.name === "service" ? { name: "service", type: "constant", query: service, hide: 2, current: { text: service, value: service } } : v)),
      },
    },
  };
}
