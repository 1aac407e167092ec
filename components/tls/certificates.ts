// A private CA and the certificates a TLS-protected Docker socket needs (server + clients), made with
// node-forge (keys come from Node's own crypto). Pure apart from randomness: PEM in, PEM out.
import { randomBytes } from "node:crypto";
import type forge from "node-forge";

/** A certificate and its private key, PEM-encoded. */
export interface KeyPair {
    readonly certPem: string;
    readonly keyPem: string;
}

export interface CertificateOptions {
    /** Validity in days. @default 825 (the longest most clients accept) */
    readonly validDays?: number;
}

/** node-forge, loaded on first use: only a stack that makes certificates pays for loading it. */
const nodeForge = (): typeof forge => require("node-forge") as typeof forge;

function newCertificate(commonName: string, days: number): { cert: forge.pki.Certificate; keys: forge.pki.rsa.KeyPair } {
    const keys = nodeForge().pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
    const cert = nodeForge().pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = `01${randomBytes(15).toString("hex")}`; // positive, 16 random bytes
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
    cert.setSubject([{ name: "commonName", value: commonName }]);
    return { cert, keys };
}

const toPair = (cert: forge.pki.Certificate, keys: forge.pki.rsa.KeyPair): KeyPair => ({
    certPem: nodeForge().pki.certificateToPem(cert),
    keyPem: nodeForge().pki.privateKeyToPem(keys.privateKey),
});

/** A self-signed CA. */
export function generateCa(commonName: string, options: CertificateOptions = {}): KeyPair {
    const { cert, keys } = newCertificate(commonName, options.validDays ?? 825);
    cert.setIssuer(cert.subject.attributes);
    cert.setExtensions([
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        { name: "subjectKeyIdentifier" },
    ]);
    cert.sign(keys.privateKey, nodeForge().md.sha256.create());
    return toPair(cert, keys);
}

function issue(ca: KeyPair, commonName: string, extensions: object[], options: CertificateOptions): KeyPair {
    const caCert = nodeForge().pki.certificateFromPem(ca.certPem);
    const caKey = nodeForge().pki.privateKeyFromPem(ca.keyPem);
    const { cert, keys } = newCertificate(commonName, options.validDays ?? 825);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([{ name: "basicConstraints", cA: false }, ...extensions]);
    cert.sign(caKey, nodeForge().md.sha256.create());
    return toPair(cert, keys);
}

/** A server certificate for dockerd, valid for the given addresses and names (the host's, and localhost). */
export function issueServerCertificate(
    ca: KeyPair,
    host: { readonly ipAddresses?: readonly string[]; readonly dnsNames?: readonly string[] },
    options: CertificateOptions = {},
): KeyPair {
    const altNames = [
        ...(host.dnsNames ?? []).map((value) => ({ type: 2, value })),
        ...[...(host.ipAddresses ?? []), "127.0.0.1"].map((ip) => ({ type: 7, ip })),
    ];
    const commonName = host.dnsNames?.[0] ?? host.ipAddresses?.[0] ?? "docker";
    return issue(ca, commonName, [
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames },
    ], options);
}

/** A client certificate for `docker --tlsverify`. */
export function issueClientCertificate(ca: KeyPair, commonName: string, options: CertificateOptions = {}): KeyPair {
    return issue(ca, commonName, [
        { name: "keyUsage", digitalSignature: true, critical: true },
        { name: "extKeyUsage", clientAuth: true },
    ], options);
}
