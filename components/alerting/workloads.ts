import * as pulumi from "@pulumi/pulumi";
import { jobNames } from "../metrics/job-names";
import { StackConfig } from "../stack/config-schema";
import { NOBODY, ResourceSpec, WorkloadSpec } from "../platform/types";
import { images } from "../shared/versions";

/** Alertmanager's ports: the API/UI, and gossip between replicas (memberlist uses TCP and UDP). */
export const alertmanagerPorts = { http: 9093, cluster: 9094 } as const;

export const ALERTMANAGER_CONFIG = "/etc/alertmanager/alertmanager.yml";

/**
 * The Alertmanager workload. Pure. With more than one replica it is a gossip cluster: every
 * replica receives every alert from Prometheus and the cluster sends each notification once.
 *
 * @param peers each replica's cluster address (`platform.peerAddresses`), when replicas > 1.
 */
export function alertmanagerSpec(cfg: StackConfig["alertmanager"], configText: pulumi.Input<string>, peers: string[]): WorkloadSpec {
  const clustered = cfg.replicas > 1;
  return {
    name: jobNames.alertmanager,
    component: "alerting",
    image: images.alertmanager,
    replicas: cfg.replicas,
    args: [
      `--config.file=${ALERTMANAGER_CONFIG}`,
      "--storage.path=/alertmanager",
      `--data.retention=${cfg.retention}`,
      `--web.listen-address=:${alertmanagerPorts.http}`,
      // A single replica must not gossip: an empty listen address turns clustering off.
      ...(clustered ? [`--cluster.listen-address=0.0.0.0:${alertmanagerPorts.cluster}`, ...peers.map((p) => `--cluster.peer=${p}`)] : ["--cluster.listen-address="]),
    ],
    // The rendered file holds receiver credentials: a Secret on Kubernetes, secret on Docker.
    files: [{ path: ALERTMANAGER_CONFIG, content: configText, secret: true }],
    ports: [
      { name: "http", port: alertmanagerPorts.http, hostPort: clustered ? undefined : cfg.hostPort },
      ...(clustered
        ? [
            { name: "cluster", port: alertmanagerPorts.cluster },
            { name: "cluster-udp", port: alertmanagerPorts.cluster, protocol: "UDP" as const },
          ]
        : []),
    ],
    // Silences and the notification log: without them a restart re-sends and forgets silences.
    volume: { mountPath: "/alertmanager", size: cfg.storageSize },
    probe: { http: { path: "/-/ready", port: alertmanagerPorts.http } },
    resources: cfg.resources as ResourceSpec,
    user: NOBODY,
  };
}
