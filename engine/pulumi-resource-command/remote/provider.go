// provider.go — the resources this provider serves, shared by main and the tests.
package remote

import "github.com/pulumi/pulumi-go-provider/infer"

// Resources are remote.Command and remote.CopyToRemote, the two upstream resources docker-host uses.
func Resources() []infer.InferredResource {
	return []infer.InferredResource{
		infer.Resource(&Command{}),
		infer.Resource(&CopyToRemote{}),
	}
}
