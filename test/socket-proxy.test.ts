import { renderSocketProxyTemplate, socketProxyPathPattern } from "../components/platform/socket-proxy-config";

/**
 * The socket proxy's allow-list, as a pattern: what discovery reads passes, the rest of the Docker
 * API does not. (The real haproxy runs it in test/deploy/e2e-docker.test.ts.)
 */
describe("the Docker socket proxy's allow-list", () => {
  const allowed = new RegExp(socketProxyPathPattern());

  it.each([
    "/_ping",
    "/v1.41/_ping",
    "/version",
    "/v1.43/containers/json",
    "/containers/json",
    "/v1.41/containers/3f2a9c/json",
    "/v1.41/containers/obs-dev-prometheus/logs",
    "/v1.41/networks",
    "/v1.41/networks/obs-dev-network",
  ])("lets %s through", (path) => expect(allowed.test(path)).toBe(true));

  it.each([
    "/v1.41/containers/3f2a9c/archive",
    "/v1.41/containers/3f2a9c/export",
    "/v1.41/containers/3f2a9c/attach/ws",
    "/v1.41/containers/3f2a9c/exec",
    "/v1.41/containers/3f2a9c/changes",
    "/v1.41/containers/3f2a9c/top",
    "/v1.41/containers/create",
    "/v1.41/images/json",
    "/v1.41/info",
    "/v1.41/events",
    "/v1.41/volumes",
    "/v1.41/secrets",
    "/v1.41/containers/json/../../images/json",
    "/v1.41/containersjson",
    "/v1.41/networks/a/b",
  ])("refuses %s", (path) => expect(allowed.test(path)).toBe(false));

  it("is the image's template: GET only, the pattern in single quotes, the image's bind placeholder and socket", () => {
    const text = renderSocketProxyTemplate();
    expect(text).toContain("http-request deny unless METH_GET\n");
    expect(text).toContain(`http-request deny unless { path -m reg '${socketProxyPathPattern()}' }`);
    expect(text).toContain("bind ${BIND_CONFIG}");
    expect(text).toContain('server dockersocket "${SOCKET_PATH}"');
  });
});
