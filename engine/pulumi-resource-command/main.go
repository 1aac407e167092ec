// Command pulumi-resource-command is docker-host's offline build of a Pulumi "command" provider.
//
// The upstream provider (github.com/pulumi/pulumi-command/provider) is not served by the Go module proxy
// this project can reach, so `pulumi up` could not run here at all. This provider implements the part of
// its schema the @pulumi/command SDK sends for remote.Command and remote.CopyToRemote — same type tokens,
// property names, Check defaults, secrets, diff (only `triggers` replaces), environment, logging, hostKey
// and CopyToRemote rules as upstream v1.2.1 — so the real Pulumi engine can drive the DockerHost component
// against real hosts. Operators with network access should install the upstream plugin instead
// (`pulumi plugin install resource command 1.2.1`); the component does not change.
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"docker-host/pulumi-resource-command/remote"
)

// Version is the @pulumi/command SDK version this build answers for (set with -ldflags -X).
var Version = "1.2.1"

// StandInMarker tells this build from the upstream plugin: scripts/engine.sh greps the binary for it.
// `--version` prints it, which also keeps it in a stripped binary.
const StandInMarker = "docker-host-standin-command-provider"

// versionLine is what `pulumi-resource-command --version` prints.
func versionLine() string {
	return fmt.Sprintf("pulumi-resource-command %s (%s)", Version, StandInMarker)
}

func main() {
	// The engine starts plugins with its own address as the argument, never with --version.
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println(versionLine())
		return
	}
	provider, err := infer.NewProviderBuilder().
		WithResources(remote.Resources()...).
		WithDisplayName("Command (docker-host offline build)").
		Build()
	if err == nil {
		err = p.RunProvider(context.Background(), "command", Version, provider)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}
