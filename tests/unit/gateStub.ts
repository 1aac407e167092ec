// gate.sh run here against stand-in docker, dockerd, systemctl and findmnt commands, for the unit tests of its
// verdicts (engineRequirements.test.ts, containerdStore.test.ts). `docker info --format T` fills T's fields:
// the server version and driver the test gives (Driver btrfs by default, which keeps the overlay module check
// out of the way), root /var/lib/docker, any other JSON field null; asked for the image and container counts
// (the containerd image store's check), it prints them and the driver status the test gives.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GATE = join(__dirname, "../../components/dockerHost/scripts/gate.sh");

/** What the stand-in docker reports. */
export interface FakeDocker {
    readonly version: string;
    readonly driver?: string;
    readonly driverStatus?: string;
    readonly images?: number;
    readonly containers?: number;
}

/** One run of gate.sh: its exit code, output and the docker CLI calls it made. */
export interface GateRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly dockerCalls: string[];
}

/** A folder of stand-in commands; `run` starts gate.sh with them first on PATH; `remove` deletes them. */
export function gateWithStubs(): { run: (stdin: string, docker: FakeDocker) => GateRun; remove: () => void } {
    const bin = mkdtempSync(join(tmpdir(), "gate-"));
    const stub = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
    };
    stub(
        "docker",
        String.raw`echo "$*" >>"$DOCKER_CALLS"
[ "$1 $2" = "info --format" ] || { echo ok; exit 0; }
case $3 in *'{{.Images}}'*) printf '%s %s %s\n' "$FAKE_IMAGES" "$FAKE_CONTAINERS" "$FAKE_STATUS"; exit 0 ;; esac
printf '%s\n' "$3" | sed -e 's/{{json \.ServerVersion}}/"'"$FAKE_VERSION"'"/g; s/{{\.ServerVersion}}/'"$FAKE_VERSION"'/g' \
  -e 's/{{json \.Driver}}/"'"$FAKE_DRIVER"'"/g; s/{{\.Driver}}/'"$FAKE_DRIVER"'/g; s#{{json \.DockerRootDir}}#"/var/lib/docker"#g; s#{{\.DockerRootDir}}#/var/lib/docker#g' \
  -e 's/{{json \.[A-Za-z]*}}/null/g; s/{{"\\x1f"}}/\x1f/g'`,
    );
    stub("dockerd", "exit 0");
    stub("systemctl", "exit 0");
    stub("findmnt", "echo ext4");
    const run = (stdin: string, docker: FakeDocker): GateRun => {
        const calls = join(bin, "docker-calls");
        writeFileSync(calls, "");
        const env = {
            ...process.env,
            PATH: `${bin}:${process.env.PATH ?? ""}`,
            DOCKER_CALLS: calls,
            FAKE_VERSION: docker.version,
            FAKE_DRIVER: docker.driver ?? "btrfs",
            FAKE_STATUS: docker.driverStatus ?? "[]",
            FAKE_IMAGES: String(docker.images ?? 0),
            FAKE_CONTAINERS: String(docker.containers ?? 0),
        };
        const res = spawnSync("bash", [GATE], { input: stdin, encoding: "utf8", env });
        return { status: res.status, stdout: res.stdout, stderr: res.stderr, dockerCalls: readFileSync(calls, "utf8").split("\n").filter(Boolean) };
    };
    return { run, remove: () => rmSync(bin, { recursive: true, force: true }) };
}
