// TLS material of a host, pure: where each version lives on the host (the DH_TLS_* names of scripts/lib.sh),
// its version digest, the tls step's stdin, and the checks that refuse unusable material before anything
// changes (node:crypto's X509Certificate and createPrivateKey: RSA and EC alike). The host repeats the checks
// with openssl (scripts/tls.sh). The material is secret (the server key): only its digest reaches the plan.
import { createHash, createPrivateKey, KeyObject, X509Certificate } from "node:crypto";
import { Resolved, TlsCertificates } from "./args";
import { HOST_PATHS, TLS_VERSION } from "./hostConstants";

type Material = Resolved<TlsCertificates>;

/** The files of one version of the material on the host. */
export interface TlsPaths {
    readonly caCert: string;
    readonly serverCert: string;
    readonly serverKey: string;
}

/** The files of one version, `<DH_TLS_DIR>/<version>/…`; daemon.json's tlscacert, tlscert and tlskey point at them. */
export function tlsPaths(version: string): TlsPaths {
    if (!TLS_VERSION.test(version)) throw new Error(`internal: TLS material version ${JSON.stringify(version)} is not 12 hex digits`);
    const dir = `${HOST_PATHS.tlsDir}/${version}`;
    return { caCert: `${dir}/${HOST_PATHS.tlsCaFile}`, serverCert: `${dir}/${HOST_PATHS.tlsCertFile}`, serverKey: `${dir}/${HOST_PATHS.tlsKeyFile}` };
}

/** The tls step's stdin: each PEM base64-encoded on its own KEY=VALUE line. Secret: it holds the key. */
export function tlsParamLines(tls: Material): string {
    const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");
    return `CA_PEM_B64=${b64(tls.caCertPem)}\nCERT_PEM_B64=${b64(tls.serverCertPem)}\nKEY_PEM_B64=${b64(tls.serverKeyPem)}\n`;
}

/**
 * The version of the material: the first 12 hex digits of the sha256 of the tls step's stdin (tls.sh
 * recomputes it and refuses a mismatch). It names the directory on the host, so a rotation is a daemon.json
 * change. Not secret: a digest.
 */
export function tlsDigest(tls: Material): string {
    return createHash("sha256").update(tlsParamLines(tls)).digest("hex").slice(0, 12);
}

/** One problem with the material; `key` is e.g. "tlsCertificates.serverKeyPem". Never quotes key material. */
export interface TlsMaterialIssue {
    readonly key: string;
    readonly message: string;
}

const KEY = {
    ca: "tlsCertificates.caCertPem",
    cert: "tlsCertificates.serverCertPem",
    key: "tlsCertificates.serverKeyPem",
} as const;

/**
 * Everything that would keep dockerd from serving TLS with this material, or clients from trusting it: a
 * PEM that does not parse, a key that does not belong to the server certificate, a server certificate the
 * CA did not sign, a CA certificate that is no CA, and certificates outside their validity at `now`.
 * Empty when the material is usable.
 */
export function tlsMaterialIssues(tls: Material, now: Date = new Date()): TlsMaterialIssue[] {
    const issues: TlsMaterialIssue[] = [];
    const add = (key: string, message: string) => issues.push({ key, message });
    const ca = parseCertificate(tls.caCertPem);
    const cert = parseCertificate(tls.serverCertPem);
    const key = parsePrivateKey(tls.serverKeyPem);

    if (!ca) add(KEY.ca, "is not a readable X.509 certificate. Fix: pass the CA certificate's PEM text.");
    if (!cert) add(KEY.cert, "is not a readable X.509 certificate. Fix: pass the server certificate's PEM text.");
    if (!key) add(KEY.key, "is not a readable private key (encrypted keys are not supported). Fix: pass the server key's unencrypted PEM text (as a secret).");

    if (ca && !ca.ca) {
        add(KEY.ca, "is not a CA certificate (no basicConstraints CA:TRUE). Fix: pass the certificate of the CA that signs the server and client certificates (npm run tls makes one).");
    }
    if (ca) issues.push(...validityIssues(KEY.ca, ca, now));
    if (cert) issues.push(...validityIssues(KEY.cert, cert, now));
    if (cert && key && !matches(cert, key)) {
        add(KEY.key, "does not belong to the server certificate (its public key differs from the certificate's). Fix: pass the key the server certificate was issued for.");
    }
    if (ca && cert && !signedBy(cert, ca)) {
        add(KEY.cert, "is not signed by the CA in caCertPem; dockerd and its clients check both against that one CA. Fix: issue the server certificate from that CA (npm run tls), or pass the CA that signed it.");
    }
    return issues;
}

function parseCertificate(pem: string): X509Certificate | undefined {
    try {
        return new X509Certificate(pem);
    } catch {
        return undefined;
    }
}

// The parser's error is dropped: a message must never carry key material.
function parsePrivateKey(pem: string): KeyObject | undefined {
    try {
        return createPrivateKey(pem);
    } catch {
        return undefined;
    }
}

function matches(cert: X509Certificate, key: KeyObject): boolean {
    try {
        return cert.checkPrivateKey(key);
    } catch {
        return false;
    }
}

function signedBy(cert: X509Certificate, ca: X509Certificate): boolean {
    try {
        return cert.verify(ca.publicKey);
    } catch {
        return false;
    }
}

function validityIssues(key: string, cert: X509Certificate, now: Date): TlsMaterialIssue[] {
    const from = new Date(cert.validFrom);
    const to = new Date(cert.validTo);
    if (now < from) return [{ key, message: `is not valid before ${from.toISOString()}. Fix: wait until then, or issue one that is valid now.` }];
    if (now > to) return [{ key, message: `expired on ${to.toISOString()}. Fix: issue a new one (npm run tls).` }];
    return [];
}
