/**
 * The TLS certificate and key the registry serves HTTPS with: read from
 * their PEM files at start-up and again on SIGHUP (a renewed certificate
 * replaces the old one for new connections; open ones keep theirs), checked
 * before use, and described for the log and `/metrics` (subject, expiry,
 * fingerprints, and the public-key pin clients may use).
 *
 * @module
 */

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  X509Certificate,
} from "node:crypto";
import { toHex } from "../core/bytes.ts";

/** A certificate chain and its key, PEM, checked to belong together. */
export interface TlsFiles {
  /** The certificate chain, PEM (leaf first). */
  cert: string;
  /** The private key, PEM. */
  key: string;
  /** What the leaf certificate says. */
  info: CertificateInfo;
}

/** What an operator (and an alert) needs to know of a certificate. */
export interface CertificateInfo {
  /** The subject, e.g. `CN=registry.example`. */
  subject: string;
  /** Subject alternative names, as OpenSSL prints them. */
  altNames: string;
  /** Not valid before, unix seconds. */
  notBefore: number;
  /** Not valid after, unix seconds. */
  notAfter: number;
  /** SHA-256 of the certificate (DER), lower-case hex. */
  sha256: string;
  /**
   * The public-key pin: base64 SHA-256 of the SubjectPublicKeyInfo (RFC 7469
   * `pin-sha256`). A renewal that keeps the key keeps the pin.
   */
  spkiSha256: string;
}

/** A TLS file that cannot be used; the message is for the operator. */
export class TlsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsError";
  }
}

/** Describe a PEM certificate (the first of a chain). */
export function describeCertificate(pem: string): CertificateInfo {
  const x = new X509Certificate(pem);
  const spki = x.publicKey.export({ type: "spki", format: "der" });
  return {
    subject: x.subject.replaceAll("\n", ", "),
    altNames: x.subjectAltName ?? "",
    notBefore: Math.floor(Date.parse(x.validFrom) / 1000),
    notAfter: Math.floor(Date.parse(x.validTo) / 1000),
    sha256: toHex(new Uint8Array(createHash("sha256").update(x.raw).digest())),
    spkiSha256: createHash("sha256").update(spki).digest("base64"),
  };
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    if (!text.includes("-----BEGIN ")) {
      throw new TlsError(`the TLS ${what} ${path} is not PEM`);
    }
    return text;
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw new TlsError(
      `cannot read the TLS ${what} ${path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/**
 * Read and check a certificate and its key: both must parse and the key
 * must be the certificate's (else {@linkcode TlsError}, and on a reload the
 * current certificate stays in use).
 */
export async function loadTlsFiles(
  certFile: string,
  keyFile: string,
): Promise<TlsFiles> {
  const cert = await readPem(certFile, "certificate");
  const key = await readPem(keyFile, "key");
  let info: CertificateInfo;
  try {
    info = describeCertificate(cert);
  } catch (e) {
    throw new TlsError(
      `the TLS certificate ${certFile} cannot be parsed: ${
        (e as Error).message
      }`,
      { cause: e },
    );
  }
  let fits: boolean;
  try {
    const spki = (k: ReturnType<typeof createPublicKey>) =>
      toHex(new Uint8Array(k.export({ type: "spki", format: "der" })));
    fits = spki(createPublicKey(createPrivateKey(key))) ===
      spki(new X509Certificate(cert).publicKey);
  } catch (e) {
    throw new TlsError(
      `the TLS key ${keyFile} cannot be parsed: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (!fits) {
    throw new TlsError(
      `the TLS key ${keyFile} is not the key of the certificate ${certFile}`,
    );
  }
  return { cert, key, info };
}

/** What {@linkcode reloadOnSighup} needs of the server and the log. */
export interface TlsReloadTarget {
  /** Serve new connections with these credentials. */
  setTls(tls: { cert: string; key: string }): void;
}

/** The logger's shape (see `log.ts`). */
interface Log {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * On SIGHUP, re-read the certificate and key and hand them to the server:
 * new connections get the new certificate, open ones keep theirs. A file
 * that cannot be used is logged (`error`) and the current certificate kept.
 * Without TLS, SIGHUP is logged and ignored (instead of ending the process,
 * its default). `onLoaded` hears of each certificate in use (for metrics).
 * Returns a function that stops listening.
 */
export function reloadOnSighup(
  files: { certFile: string; keyFile: string } | null,
  server: TlsReloadTarget,
  log: Log,
  onLoaded: (info: CertificateInfo) => void = () => {},
): () => void {
  let reloading: Promise<void> = Promise.resolve();
  const handler = () => {
    if (files === null) {
      log.info("SIGHUP: not serving TLS, nothing to reload");
      return;
    }
    reloading = reloading.then(async () => {
      try {
        const tls = await loadTlsFiles(files.certFile, files.keyFile);
        server.setTls(tls);
        onLoaded(tls.info);
        log.info("reloaded the TLS certificate", certificateFields(tls.info));
      } catch (e) {
        log.error("TLS reload failed: still serving the previous certificate", {
          error: e instanceof Error ? e.message : String(e),
        });
      }
    });
  };
  try {
    Deno.addSignalListener("SIGHUP", handler);
  } catch {
    return () => {}; // no SIGHUP (Windows)
  }
  return () => Deno.removeSignalListener("SIGHUP", handler);
}

/** A certificate's log fields. */
export function certificateFields(
  info: CertificateInfo,
): Record<string, unknown> {
  return {
    subject: info.subject,
    altNames: info.altNames,
    notAfter: new Date(info.notAfter * 1000).toISOString(),
    sha256: info.sha256,
    pinSha256: info.spkiSha256,
  };
}
