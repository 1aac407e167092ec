// copy_test.go — remote.CopyToRemote against the in-process SSH server: Check's source rules, where files
// and directories land (parent directories created), copying again only when the source's hash or
// remotePath changed, and no delete action.
package remote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func TestCopyToRemoteCheck(t *testing.T) {
	t.Parallel()
	provider := newProvider(t, t.Context())
	file := writeFile(t, t.TempDir(), "file.txt", "x")
	conn := property.New(mapOf("host", str("example.net")))
	for _, tc := range []struct {
		name       string
		source     property.Value
		wantReason string // "" = accepted
	}{
		{"file asset", property.New(mustAsset(asset.FromPath(file))), ""},
		{"text asset", property.New(mustAsset(asset.FromText("hello"))), ""},
		{"file archive", property.New(mustArchive(archive.FromPath(filepath.Dir(file)))), ""},
		{"uri asset", property.New(&asset.Asset{Sig: asset.AssetSig, URI: "https://example.net/x"}), "asset must be a path-based file asset or a text asset"},
		{"uri archive", property.New(&archive.Archive{Sig: archive.ArchiveSig, URI: "https://example.net/x.tgz"}), "archive must be a path to a file or directory"},
	} {
		resp, err := provider.Check(p.CheckRequest{Urn: urnOf("CopyToRemote", "check"), Inputs: mapOf(
			"connection", conn, "source", tc.source, "remotePath", str("/tmp/x"))})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var reasons []string
		for _, f := range resp.Failures {
			reasons = append(reasons, f.Reason)
		}
		if got := strings.Join(reasons, "; "); got != tc.wantReason {
			t.Errorf("%s: failures %q, want %q", tc.name, got, tc.wantReason)
		}
		if tc.wantReason == "" {
			connection := resp.Inputs.Get("connection")
			if !connection.Secret() || connection.AsMap().Get("port").AsNumber() != 22 {
				t.Errorf("%s: connection not secret or without defaults: %v", tc.name, connection)
			}
		}
	}
}

func TestCopyToRemoteDestinations(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	local := t.TempDir()
	scripts := filepath.Join(local, "scripts")
	writeFile(t, scripts, "run.sh", "echo run")
	writeFile(t, filepath.Join(scripts, "lib"), "util.sh", "echo util")
	file := writeFile(t, local, "notes.txt", "notes")
	home := server.home
	writeFile(t, home, "existing-file", "old")
	if err := os.Mkdir(filepath.Join(home, "existing-dir"), 0o755); err != nil {
		t.Fatal(err)
	}

	copyTo := func(name string, source property.Value, remotePath string) error {
		_, err := provider.Create(p.CreateRequest{Urn: urnOf("CopyToRemote", name), Properties: mapOf(
			"connection", server.connection(nil), "source", source, "remotePath", str(remotePath))})
		return err
	}
	dir := property.New(mustArchive(archive.FromPath(scripts)))
	dirContents := property.New(mustArchive(archive.FromPath(scripts + "/")))
	fileAsset := property.New(mustAsset(asset.FromPath(file)))

	for _, tc := range []struct {
		name, remotePath string
		source           property.Value
		wantFiles        map[string]string // relative to the remote home
		wantErr          string
	}{
		{"file, parents created", "a/b/c/copy.txt", fileAsset, map[string]string{"a/b/c/copy.txt": "notes"}, ""},
		{"file into existing dir", "existing-dir", fileAsset, map[string]string{"existing-dir/notes.txt": "notes"}, ""},
		{"file over existing file", "existing-file", fileAsset, map[string]string{"existing-file": "notes"}, ""},
		{"dir, dest created", ".docker-host", dir, map[string]string{".docker-host/scripts/run.sh": "echo run", ".docker-host/scripts/lib/util.sh": "echo util"}, ""},
		{"dir into existing dir", "existing-dir", dir, map[string]string{"existing-dir/scripts/run.sh": "echo run"}, ""},
		{"dir/ contents into new dir", "flat/deep", dirContents, map[string]string{"flat/deep/run.sh": "echo run", "flat/deep/lib/util.sh": "echo util"}, ""},
		{"dir onto a file fails", "notes-file", dir, nil, "exists but is not a directory"},
		{"text asset, parents created", "etc/app/config.ini", property.New(mustAsset(asset.FromText("k=v"))), map[string]string{"etc/app/config.ini": "k=v"}, ""},
		{"text asset onto a dir fails", "existing-dir", property.New(mustAsset(asset.FromText("k=v"))), nil, "is a directory"},
	} {
		if tc.name == "dir onto a file fails" {
			writeFile(t, home, "notes-file", "a file")
		}
		err := copyTo(strings.ReplaceAll(tc.name, " ", "-"), tc.source, filepath.Join(home, tc.remotePath))
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		}
		for rel, want := range tc.wantFiles {
			if got, err := os.ReadFile(filepath.Join(home, rel)); err != nil || string(got) != want {
				t.Errorf("%s: %s = %q (%v), want %q", tc.name, rel, got, err, want)
			}
		}
	}

	// A relative remotePath is relative to the SSH user's home, as with sshd's sftp-server.
	if err := copyTo("relative", fileAsset, "rel/notes.txt"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(home, "rel", "notes.txt")); err != nil || string(got) != "notes" {
		t.Errorf("relative remotePath: %q (%v)", got, err)
	}
}

func TestCopyToRemoteCopiesOnlyWhenChanged(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	local := filepath.Join(t.TempDir(), "payload")
	writeFile(t, local, "a.txt", "version 1")
	dest := filepath.Join(server.home, "dest")
	remoteFile := filepath.Join(dest, "payload", "a.txt")
	urn := urnOf("CopyToRemote", "only-when-changed")

	inputsFor := func(remotePath string, extra map[string]property.Value) property.Map {
		return mapOf("connection", server.connection(extra),
			"source", property.New(mustArchive(archive.FromPath(local))), "remotePath", str(remotePath))
	}
	created := viaWire(t, mustCreate(t, provider, urn, inputsFor(dest, nil)))
	assertFile(t, remoteFile, "version 1")
	connectionsBefore, _, _, _, _ := server.snapshot()

	// Same content and destination: a connection change updates the state and copies nothing.
	writeFile(t, filepath.Dir(remoteFile), "a.txt", "changed on the host")
	update := func(state, inputs property.Map) property.Map {
		t.Helper()
		resp, err := provider.Update(p.UpdateRequest{ID: "x", Urn: urn, State: state, Inputs: inputs})
		if err != nil {
			t.Fatal(err)
		}
		return viaWire(t, resp.Properties)
	}
	state := update(created, inputsFor(dest, map[string]property.Value{"perDialTimeout": property.New(7.0)}))
	assertFile(t, remoteFile, "changed on the host")
	if connections, _, _, _, _ := server.snapshot(); connections != connectionsBefore {
		t.Errorf("an unchanged source connected %d more times", connections-connectionsBefore)
	}

	// New content (new hash): copied.
	writeFile(t, local, "a.txt", "version 2")
	state = update(state, inputsFor(dest, nil))
	assertFile(t, remoteFile, "version 2")

	// Same content, new remotePath: copied there.
	dest2 := filepath.Join(server.home, "elsewhere")
	update(state, inputsFor(dest2, nil))
	assertFile(t, filepath.Join(dest2, "payload", "a.txt"), "version 2")

	// No delete action: the copy stays on the host, and the host is not contacted.
	connectionsBefore, _, _, _, _ = server.snapshot()
	if err := provider.Delete(p.DeleteRequest{ID: "x", Urn: urn, Properties: state}); err != nil {
		t.Fatal(err)
	}
	assertFile(t, remoteFile, "version 2")
	if connections, _, _, _, _ := server.snapshot(); connections != connectionsBefore {
		t.Error("delete contacted the host")
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	if got, err := os.ReadFile(path); err != nil || string(got) != want {
		t.Errorf("%s = %q (%v), want %q", path, got, err, want)
	}
}

func mustAsset(a *asset.Asset, err error) *asset.Asset {
	if err != nil {
		panic(err)
	}
	return a
}

func mustArchive(a *archive.Archive, err error) *archive.Archive {
	if err != nil {
		panic(err)
	}
	return a
}
