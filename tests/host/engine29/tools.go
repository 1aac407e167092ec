//go:build tools

// Package engine29 pins Docker Engine 29's daemon (moby's Go module v2; v2.0.0-beta.15 is Engine 29.5.1, as
// its releases/versions.yaml says) for tests/host/engine29.test.ts, which builds cmd/dockerd from it: Debian's
// mirror has no Engine 29. Built only by that test; nothing here is imported.
package engine29

import _ "github.com/moby/moby/v2/cmd/dockerd"
