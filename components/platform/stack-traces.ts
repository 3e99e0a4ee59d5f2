/**
 * Runs `construct` (synchronous resource constructors) with `Error.stackTraceLimit` at 0, restored
 * right after, even when it throws.
 *
 * Why: the SDK stores `new Error().stack` on every promise it makes for a resource's outputs
 * (`debuggablePromise`, four per output property: ~40 for a Grafana dashboard, ~300 for a Docker
 * container), only to print where a promise was created if the program exits with it pending.
 * Formatting those traces (each frame mapped through source-map-support, which ts-node and
 * Pulumi's language host both register) is most of a resource's cost: in CPU profiles of
 * `npm run bench:preview` it was ~55% of the evaluation with 1000 monitored services and ~75% of
 * the default stack's. So it is used where resources are constructed in bulk: each workload's
 * (`Platform.deploy`) and the dashboards.
 *
 * What is lost is only those creation traces, which would point into this library anyway. The
 * resource's source position and the stack trace sent to the engine come from
 * `Resource.callsites()`, which sets its own unlimited limit the same way; errors keep their
 * messages.
 */
export function withoutDebugStackTraces<T>(construct: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return construct();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
