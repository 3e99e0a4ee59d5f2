import { z } from "zod";
import { dnsLabel, duration, hostPort, labelName, strictObject } from "../shared/config-primitives";

/**
 * A service the stack monitors: its scrape job, its SLO burn-rate alerts routed to its team, and
 * its RED dashboard. The `services:` config key and `ObservabilityStack.monitorService` take the
 * same shape, validated by the same schema.
 */
export const serviceSchema = strictObject({
  /** Service name: the job name, the `service` label of its series, the dashboard's title. Required. */
  name: dnsLabel,
  /** Fixed `host:port` addresses to scrape. Exactly one of `targets` or `kubernetes`. */
  targets: z.array(hostPort).min(1, "needs at least one host:port target").optional(),
  /** Pods to scrape on Kubernetes, found by label selector. Exactly one of `targets` or `kubernetes`. */
  kubernetes: strictObject({
    /** Namespace of the pods. Required. */
    namespace: dnsLabel,
    /** Pod labels that select the service's pods, e.g. `{ app: checkout }`. Required, not empty. */
    selector: z.record(z.string()).refine((r) => Object.keys(r).length > 0, "needs at least one label, e.g. { app: checkout }"),
    /** Name of the container port serving metrics. Default `metrics`. */
    port: z.string().min(1).default("metrics"),
  }).optional(),
  /** Path of the metrics endpoint. Default `/metrics`. */
  metricsPath: z.string().startsWith("/", "must start with /").default("/metrics"),
  /** `http` or `https`. Default `http`. */
  scheme: z.enum(["http", "https"]).default("http"),
  /** Overrides the scrape interval. */
  interval: duration.optional(),
  /** The service's SLOs; without them it is only scraped and dashboarded. */
  slo: strictObject({
    /** Share of requests that must not fail (5xx), e.g. 0.999. Required in an SLO. */
    availability: z.number().gt(0, "must be strictly between 0 and 1 (e.g. 0.999)").lt(1, "must be strictly between 0 and 1 (e.g. 0.999)"),
    /**
     * 95% of requests must be faster than this (e.g. `300ms`); must be a bucket bound of the
     * service's `http_request_duration_seconds` histogram, or the ratio cannot be computed.
     */
    latencyP95: duration.optional(),
  }).optional(),
  /** Team that owns the service: the `team` label its alerts carry, which routes match on. */
  team: labelName.optional(),
}).superRefine((svc, ctx) => {
  if ((svc.targets === undefined) === (svc.kubernetes === undefined)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "needs exactly one of targets or kubernetes" });
  }
});

export type ServiceSpec = z.infer<typeof serviceSchema>;
export type ServiceSpecInput = z.input<typeof serviceSchema>;
