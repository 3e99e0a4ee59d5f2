import { FOLDERS } from "./common";
import { http } from "./http";

let base: Readonly<Record<string, any>> | undefined;

/**
 * A monitored service's own RED dashboard (`ObservabilityStack.monitorService`): the HTTP RED
 * dashboard with its `service` variable fixed to the service, under a stable uid of its own.
 * The parts every service's dashboard has in common (its panels) are shared, and frozen.
 */
export function serviceDashboard(service: string): { uid: string; folder: string; json: Record<string, any> } {
  // Built once, and not copied per service: the builders cost milliseconds, a copy of the JSON a
  // tenth of one, and a stack may monitor thousands of services.
  base ??= deepFreeze(JSON.parse(JSON.stringify(http.build())) as Record<string, any>);
  const uid = `obs-svc-${service}`.slice(0, 40);
  const templating = (base.templating?.list ?? []) as Record<string, any>[];
  return {
    uid,
    folder: FOLDERS.applications,
    json: {
      ...base,
      uid,
      title: `${service}: HTTP (RED)`,
      templating: {
        ...base.templating,
        // A constant, hidden variable: every panel's `$service` is this service.
        list: templating.map((v) => (v.name === "service" ? { name: "service", type: "constant", query: service, hide: 2, current: { text: service, value: service } } : v)),
      },
    },
  };
}

/** Freezes `value` and everything in it: a service's dashboard cannot change another's. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
