/**
 * What a real exporter exposes, so that tests can check that every metric a dashboard or rule
 * uses exists in the output of the exporter that is supposed to produce it.
 */

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/**
 * Fetches a `/metrics` endpoint and returns the series names exactly as exposed
 * (`foo_bucket`, `foo_sum`, `foo_count`, `bar_total`, ...).
 */
export async function scrapeMetricNames(url: string, timeoutMs = 10000): Promise<Set<string>> {
  // The classic text format: OpenMetrics would add `_created` series that Prometheus does not store as names.
  const res = await fetch(url, { headers: { Accept: "text/plain;version=0.0.4" }, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return parseMetricNames(text);
}

/** Series names of a text-format exposition. Families with HELP/TYPE but no sample are not names a query can match. */
export function parseMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const raw of exposition.split("\n")) {
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) continue;
    const match = METRIC_NAME.exec(line);
    if (match) names.add(match[0]);
  }
  return names;
}

/**
 * Whether `name` is exposed: an exact series name, or the base name of a histogram or summary
 * (exposed as `name_sum` and `name_count`, plus `name_bucket` for a histogram).
 */
export function hasMetric(names: ReadonlySet<string>, name: string): boolean {
  if (names.has(name)) return true;
  return names.has(`${name}_sum`) && names.has(`${name}_count`);
}
