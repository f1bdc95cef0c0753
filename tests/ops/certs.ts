/**
 * Throwaway TLS certificates for the operations tests, made with Debian's
 * `openssl` (part of every Debian with `ca-certificates`): self-signed
 * P-256 end-entity certificates for `localhost` and 127.0.0.1, as a
 * registry operator would make one for a test, and as a client pins it.
 *
 * @module
 */

/** Paths of a certificate and its key. */
export interface CertFiles {
  cert: string;
  key: string;
}

/**
 * Make a self-signed certificate `name.crt` and key `name.key` in `dir`
 * (a new key each time unless `reuseKey` names an existing key file).
 */
export async function makeCertificate(
  dir: string,
  name: string,
  options: { reuseKey?: string; days?: number } = {},
): Promise<CertFiles> {
  const cert = `${dir}/${name}.crt`;
  const key = options.reuseKey ?? `${dir}/${name}.key`;
  const args = [
    "req",
    "-x509",
    ...(options.reuseKey
      ? ["-key", options.reuseKey]
      : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]),
    ...(options.reuseKey ? [] : ["-keyout", key]),
    "-out",
    cert,
    "-days",
    String(options.days ?? 2),
    "-subj",
    `/CN=localhost`,
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    // An end-entity certificate: rustls (Deno's fetch) refuses a CA
    // certificate as the server's own.
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-addext",
    "extendedKeyUsage=serverAuth",
  ];
  const out = await new Deno.Command("openssl", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`openssl failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  await Deno.chmod(key, 0o600);
  return { cert, key };
}
