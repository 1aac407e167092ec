// Command docker-host-sdkgen writes the Python SDK of a Pulumi package from its schema, with Pulumi's own
// Python code generator (github.com/pulumi/pulumi/pkg/v3/codegen/python, the code a current
// pulumi-language-python runs for `pulumi package add` and `pulumi package gen-sdk --language python`).
//
// It exists because the only Python language host that builds from the Go module proxy (sdk/v3 v3.68.0,
// see scripts/engine.sh) predates SDK generation: `pulumi package gen-sdk` with it fails with
// "unimplemented". scripts/engine.sh builds this file in a throwaway module against pkg/v3 at the CLI's
// version, so the generated SDK is the one the CLI's own release would generate.
//
// Usage: docker-host-sdkgen SCHEMA.json OUT-DIR
//
//	writes OUT-DIR/python/... (as `pulumi package gen-sdk --language python --out OUT-DIR` does)
//
// Exit codes: 0 written; 1 the schema does not bind or generation failed; 2 usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader refuses every reference to another package: docker-host's schema references none, and an SDK
// generated against a package that is not there would be wrong.
type noLoader struct{}

var errNoReferences = errors.New("this schema references another package; docker-host-sdkgen loads none")

func (noLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) { return nil, errNoReferences }
func (noLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoReferences
}
func (noLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoReferences
}
func (noLoader) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoReferences
}

func run(schemaPath, out string) error {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s does not bind: %w", schemaPath, diags)
	}
	files, err := python.GeneratePackage("docker-host-sdkgen", pkg, nil, noLoader{})
	if err != nil {
		return err
	}
	root := filepath.Join(out, "python")
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: docker-host-sdkgen SCHEMA.json OUT-DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "docker-host-sdkgen: %v\n", err)
		os.Exit(1)
	}
}
