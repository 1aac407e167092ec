// Command pulumi-resource-command is docker-host's offline build of a Pulumi "command" provider.
//
// The upstream provider (github.com/pulumi/pulumi-command/provider) is not served by the Go module proxy
// this project can reach, so `pulumi up` could not run here at all. This provider implements the part of
// its schema the @pulumi/command SDK sends for remote.Command and remote.CopyToRemote — same type tokens,
// same property names, same create/update/delete and replace-on-change rules — so the real Pulumi engine
// can drive the DockerHost component against real hosts. Operators with network access should install the
// upstream plugin instead (`pulumi plugin install resource command 1.2.1`); the component does not change.
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

func main() {
	provider, err := infer.NewProviderBuilder().
		WithResources(
			infer.Resource(&remote.Command{}),
			infer.Resource(&remote.CopyToRemote{}),
		).
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
