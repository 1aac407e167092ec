// tls.ts — make a host's TLS socket material: a private CA per stack (reused once made), a server
// certificate for the host, and a client certificate for you. The server PEMs go into the stack's config as
// secrets (docker-host:hosts[i].tlsCertificates); the client files go to --out, laid out for
// `docker --tlsverify` (DOCKER_CERT_PATH): ca.pem, cert.pem, key.pem, plus the CA's key (ca-key.pem, 0600).
//
// Usage: npm run tls -- --stack STACK --host NAME [--dns NAME]... [--out DIR]
//   The host's address (docker-host:hosts[i].host) is always in the certificate.
// Exit codes: 0 done; 1 failed (the reason on stderr); 2 usage error.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { generateCa, issueClientCertificate, issueServerCertificate, KeyPair } from "../components/tls/certificates";

interface Options {
    stack: string;
    host: string;
    dnsNames: string[];
    out: string;
}

function parseArgs(argv: string[]): Options {
    const options: Partial<Options> & { dnsNames: string[] } = { dnsNames: [] };
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        switch (argv[i]) {
            case "--stack": options.stack = value; i++; break;
            case "--host": options.host = value; i++; break;
            case "--dns": if (value) options.dnsNames.push(value); i++; break;
            case "--out": options.out = value; i++; break;
            default: usage(`unknown argument ${argv[i]}`);
        }
    }
    if (!options.stack || !options.host) usage("--stack and --host are required");
    return { stack: options.stack!, host: options.host!, dnsNames: options.dnsNames, out: options.out ?? join(homedir(), ".docker-host", "tls", options.stack!, options.host!) };
}

function usage(problem: string): never {
    process.stderr.write(`tls: ${problem}\nusage: npm run tls -- --stack STACK --host NAME [--dns NAME]... [--out DIR]\n`);
    process.exit(2);
}

function fail(problem: string): never {
    process.stderr.write(`tls: ${problem}\n`);
    process.exit(1);
}

function main(): void {
    const options = parseArgs(process.argv.slice(2));
    const stackFile = join(__dirname, "..", `Pulumi.${options.stack}.yaml`);
    if (!existsSync(stackFile)) fail(`no ${stackFile}; create the stack's config first`);
    const hosts = ((parse(readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> }).config?.["docker-host:hosts"] ?? []) as { name?: string; host?: string }[];
    const index = hosts.findIndex((h) => h.name === options.host);
    if (index < 0) fail(`stack ${options.stack} has no host named ${options.host}`);
    const address = hosts[index]!.host!;

    // One CA per stack, kept next to the client files of its hosts.
    const caDir = join(options.out, "..");
    mkdirSync(options.out, { recursive: true, mode: 0o700 });
    const caCertFile = join(caDir, "ca.pem");
    const caKeyFile = join(caDir, "ca-key.pem");
    const ca: KeyPair = existsSync(caKeyFile)
        ? { certPem: readFileSync(caCertFile, "utf8"), keyPem: readFileSync(caKeyFile, "utf8") }
        : generateCa(`docker-host ${options.stack} CA`);
    writeFileSync(caCertFile, ca.certPem);
    writeFileSync(caKeyFile, ca.keyPem, { mode: 0o600 });

    const server = issueServerCertificate(ca, {
        ipAddresses: isIP(address) ? [address] : [],
        dnsNames: [...(isIP(address) ? [] : [address]), ...options.dnsNames],
    });
    const client = issueClientCertificate(ca, `${process.env.USER ?? "operator"}@docker-host`);
    writeFileSync(join(options.out, "ca.pem"), ca.certPem);
    writeFileSync(join(options.out, "cert.pem"), client.certPem);
    writeFileSync(join(options.out, "key.pem"), client.keyPem, { mode: 0o600 });
    chmodSync(join(options.out, "key.pem"), 0o600);

    // The server side goes into the stack's config, encrypted (pulumi config set --secret reads stdin).
    const set = (key: string, value: string, secret: boolean) => {
        const args = ["config", "set", "--stack", options.stack, "--path", `docker-host:hosts[${index}].tlsCertificates.${key}`, ...(secret ? ["--secret"] : [])];
        const res = spawnSync("pulumi", args, { input: value, encoding: "utf8", cwd: join(__dirname, "..") });
        if (res.status !== 0) fail(`pulumi ${args.join(" ")} failed (is the engine on PATH? source scripts/pulumi-env.sh ${options.stack}):\n${res.stderr}`);
    };
    set("caCertPem", ca.certPem, false);
    set("serverCertPem", server.certPem, false);
    set("serverKeyPem", server.keyPem, true);
    process.stdout.write(
        `TLS material for ${options.host} (${address}) stored in Pulumi.${options.stack}.yaml; client files in ${options.out}\n` +
            `After \`npm start -- ${options.stack}\`: DOCKER_CERT_PATH=${options.out} docker --tlsverify -H tcp://${address}:2376 version\n`,
    );
}

main();
