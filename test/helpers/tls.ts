import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";

/** A self-signed certificate for 127.0.0.1 (openssl), so blackbox reports TLS expiry of a verified chain. */
export function selfSignedCert(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "30", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], {
    stdio: "pipe",
  });
  return { key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8"), certFile };
}

/** An HTTPS server on a free loopback port answering 200 `ok`; the caller closes it. */
export async function startHttpsServer(key: string, cert: string): Promise<{ url: string; server: https.Server }> {
  const server = https.createServer({ key, cert }, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return { url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, server };
}
