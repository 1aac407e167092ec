// Issue 5, scheduled pruning: the timer is installed and enabled; one run removes an old unused image and
// keeps an image a container uses and anything with the keep-label; removing the setting removes the timer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apply, configFor, deleteStep, downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "./harness";

const NAME = "t-prune";
const TAR = "/usr/local/share/docker-host-sandbox/busybox.tar";

describe("scheduled pruning", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost(NAME, "--no-disk");
    });
    after(() => downHost(NAME));

    const settings = { prune: { schedule: "Sun *-*-* 03:00", randomizedDelaySeconds: 600, olderThan: "0s" } } as const;

    it("installs and enables a timer with the schedule and randomized delay", () => {
        apply(host, configFor(host, settings));
        assert.equal(sh(host, "systemctl is-enabled docker-host-prune.timer").trim(), "enabled");
        assert.equal(sh(host, "systemctl is-active docker-host-prune.timer").trim(), "active");
        const timer = sh(host, "cat /etc/systemd/system/docker-host-prune.timer");
        assert.match(timer, /^OnCalendar=Sun \*-\*-\* 03:00$/m);
        assert.match(timer, /^RandomizedDelaySec=600$/m);
        assert.equal(sh(host, "cat /etc/docker-host/prune.env"), "PRUNE_OLDER_THAN=0s\nPRUNE_KEEP_LABEL=docker-host.keep\nPRUNE_VOLUMES=false\n");
    });

    it("one run removes an old unused image, keeps one a container uses and one with the keep-label, and logs what it freed", () => {
        sh(host, `docker import ${TAR} old/unused:1 >/dev/null
                  docker import --change 'LABEL docker-host.keep=true' ${TAR} keep/me:1 >/dev/null
                  docker import ${TAR} in/use:1 >/dev/null
                  docker run -d --name user in/use:1 sleep 2147483647 >/dev/null
                  docker volume create scratch >/dev/null`);
        // docker's until filter has one-second resolution: wait (bounded) until the images are 2 s old.
        sh(host, `created=$(date -d "$(docker inspect -f '{{.Created}}' in/use:1)" +%s)
                  for i in $(seq 1 50); do [ $(( $(date +%s) - created )) -ge 2 ] && exit 0; sleep 0.1; done; exit 1`);
        sh(host, "systemctl start docker-host-prune.service"); // oneshot: returns when the run is over
        const images = sh(host, "docker images --format '{{.Repository}}:{{.Tag}}' | sort").trim().split("\n");
        assert.ok(!images.includes("old/unused:1"), `old/unused:1 survived: ${images.join(", ")}`);
        assert.ok(images.includes("keep/me:1") && images.includes("in/use:1"), `kept images missing: ${images.join(", ")}`);
        assert.equal(sh(host, "docker volume ls -q --filter name=scratch").trim(), "scratch"); // volumes untouched
        // --sync: journald may not have written the service's last lines yet when the oneshot returns.
        const journal = sh(host, "journalctl --sync && journalctl -u docker-host-prune.service --no-pager -o cat");
        assert.match(journal, /^images: Total reclaimed space: /m);
    });

    it("removing the setting removes the timer", () => {
        const res = deleteStep(host, configFor(host, settings), "prune");
        assert.equal(res.status, 0, res.stderr);
        assert.equal(sh(host, "systemctl list-unit-files 'docker-host-prune*' --no-legend | wc -l").trim(), "0");
        assert.equal(sh(host, "test -e /usr/local/libexec/docker-host/prune && echo left || echo gone").trim(), "gone");
    });
});
