// gate.sh on a Docker that keeps images in the containerd image store (a fresh Engine 29 install's default),
// with stand-in docker commands: an empty store passes (the apply step's restart turns it off), one that
// holds images or containers is refused with their count and the way off it, before any change. The real
// thing runs in tests/host/refuse.test.ts (Engines 26.1, 28.5 and 29.5, the store turned on by hand).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { planConfig } from "../../components/dockerHost/steps";
import { gateWithStubs } from "./gateStub";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const STORE_STATUS = '[["driver-type","io.containerd.snapshotter.v1"]]';
const GRAPH_STATUS = '[["Backing Filesystem","extfs"]]';

describe("gate.sh on the containerd image store (stand-in docker commands)", () => {
    let stubs: ReturnType<typeof gateWithStubs>;
    before(() => (stubs = gateWithStubs()));
    after(() => stubs.remove());
    // Storage driver overlay2 required (the default); the overlay check reads this machine's /proc/filesystems,
    // which has overlay as the sandbox hosts need.
    const stdin = planConfig({ connection: { host: "10.0.0.5", privateKey: KEY } })[0]!.stdin!;
    const gate = (fake: { driver: string; status: string; images: number; containers: number }) =>
        stubs.run(stdin, { version: "29.5.1", driver: fake.driver, driverStatus: fake.status, images: fake.images, containers: fake.containers });

    it("passes an empty store, saying that the apply step's restart turns it off", () => {
        const res = gate({ driver: "overlayfs", status: STORE_STATUS, images: 0, containers: 0 });
        assert.equal(res.status, 0, res.stderr);
        assert.match(
            res.stderr,
            /Docker uses the containerd image store, which holds no image and no container \(a fresh install\): the apply step's restart turns it off, starting Docker on storage driver 'overlay2'/,
        );
        assert.deepEqual(JSON.parse(res.stdout), { storageDriver: "overlayfs", backingFilesystem: "ext4", serverVersion: "29.5.1" });
    });

    it("refuses a store that holds images or containers, counting them, with the way off it", () => {
        for (const [images, containers] of [
            [2, 0],
            [0, 1],
            [3, 2],
        ] as const) {
            const res = gate({ driver: "overlayfs", status: STORE_STATUS, images, containers });
            assert.equal(res.status, 1, `${images}/${containers}: ${res.stderr}`);
            assert.equal(res.stdout, "");
            assert.match(
                res.stderr,
                new RegExp(
                    String.raw`Docker uses the containerd image store \(storage driver 'overlayfs'; a fresh Engine 29 install's default\), which holds ${images} image\(s\) and ${containers} container\(s\): containerd keeps them in its own root, outside data-root \(/var/lib/docker\), and Docker on storage driver 'overlay2', which docker-host configures and moves, would no longer see them; nothing was changed\. Fix: keep what you need`,
                ),
            );
            assert.match(res.stderr, /re-run: docker-host turns an empty store off itself\./);
        }
    });

    it("refuses another driver as before, asking for the counts only on a driver that is not the required one", () => {
        const res = gate({ driver: "vfs", status: GRAPH_STATUS, images: 0, containers: 0 });
        assert.equal(res.status, 1);
        assert.match(res.stderr, /Docker uses storage driver 'vfs' on a 'ext4' filesystem \(\/var\/lib\/docker\), not 'overlay2'\. Changing the driver would hide every existing image and container/);
        const ok = gate({ driver: "overlay2", status: GRAPH_STATUS, images: 5, containers: 5 });
        assert.equal(ok.status, 0, ok.stderr);
        assert.deepEqual(
            ok.dockerCalls.map((c) => c.split(" ").slice(0, 2).join(" ")),
            ["info --format"],
        );
    });
});
