//go:build tools

// Package dockerd pins Docker Engine 29's daemon: moby's Go module v2, whose v2.0.0-beta.15 is Engine 29.5.1
// (its releases/versions.yaml says so). ../build.sh builds cmd/dockerd from it for the sandbox's Engine 29.5
// hosts: Debian's mirror has no Engine 29. Nothing here is imported.
package dockerd

import _ "github.com/moby/moby/v2/cmd/dockerd"
