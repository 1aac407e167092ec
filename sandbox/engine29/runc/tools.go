//go:build tools

// Package runc pins the runc that Docker Engine 29.5.1 ships with (moby's Dockerfile at v2.0.0-beta.15 names
// RUNC_VERSION; ../build.sh checks that this pin matches it). Bookworm's runc 1.1.5 cannot start Engine 29's
// containers ("namespace time does not exist"). ../build.sh builds it; nothing here is imported.
package runc

import _ "github.com/opencontainers/runc"
