// A stack of your own that makes one machine a well-configured Docker host with docker-host, installed as an
// npm package (`npm install /path/to/docker-host-0.1.0.tgz`). Its settings come from this stack's config.
import * as pulumi from "@pulumi/pulumi";
import { DockerHost } from "docker-host";

const config = new pulumi.Config();

const host = new DockerHost("web-1", {
    connection: {
        host: config.require("host"),
        user: "root",
        privateKey: config.requireSecret("privateKey"),
        hostKey: config.require("hostKey"),
    },
    dataDisk: { device: config.require("dataDisk") },
    daemon: { logMaxSize: config.require("logMaxSize") },
});

/** What dockerd reports after the apply: storage driver, data root, logging driver, live-restore. */
export const facts = host.facts;
/** What the last apply did: none, reload or restart. */
export const lastAction = host.lastAction;
