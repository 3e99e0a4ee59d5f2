import * as yaml from "js-yaml";

/** The blackbox modules the stack's probe jobs use. */
export const BLACKBOX_MODULES = { http: "http_2xx", tcp: "tcp_connect" } as const;

/**
 * Renders the blackbox exporter's `blackbox.yml`. Pure.
 *
 * `http_2xx` accepts any 2xx after redirects and fails on a TLS error, so an expired certificate
 * is a failed probe rather than a silent pass; `tcp_connect` only checks the port accepts.
 * IPv4 is preferred (not required): a target that only resolves to IPv6 is still probed.
 */
export function renderBlackboxConfig(opts: { timeout?: string } = {}): string {
  const timeout = opts.timeout ?? "5s";
  const config = {
    modules: {
      [BLACKBOX_MODULES.http]: {
        prober: "http",
        timeout,
        http: {
          preferred_ip_protocol: "ip4",
          follow_redirects: true,
          valid_status_codes: [],
          fail_if_not_ssl: false,
          tls_config: { insecure_skip_verify: false },
        },
      },
      [BLACKBOX_MODULES.tcp]: {
        prober: "tcp",
        timeout,
        tcp: { preferred_ip_protocol: "ip4" },
      },
    },
  };
  return yaml.dump(config, { lineWidth: -1, noRefs: true });
}
