// copy.go — the `command:remote:CopyToRemote` resource: uploads a file, a directory or a text asset over
// SFTP with the same Check, update and destination rules as upstream pulumi-command v1.2.1 (learned from
// its remote/copy.go, remote/copyController.go, copyToRemote.md and schema.json).
package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// CopyToRemote copies a FileAsset, StringAsset or FileArchive (a local file or directory, copied as is:
// archives are not unpacked) to the host. Deleting the resource leaves the copy on the host.
type CopyToRemote struct{}

// CopyToRemoteInputs are the inputs. Only `triggers` forces a replacement; other changes are updates,
// which copy again only when the source's content hash or remotePath changed.
type CopyToRemoteInputs struct {
	Connection *Connection          `pulumi:"connection"        provider:"secret"`
	Triggers   *[]any               `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Source     types.AssetOrArchive `pulumi:"source"`
	RemotePath string               `pulumi:"remotePath"`
}

// CopyToRemoteOutputs is the checkpointed state: the inputs.
type CopyToRemoteOutputs struct {
	CopyToRemoteInputs
}

func (c *CopyToRemote) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy an Asset or Archive to a remote host.")
	a.SetToken("remote", "CopyToRemote")
}

func (c *CopyToRemoteInputs) Annotate(a infer.Annotator) {
	a.Describe(&c.Connection, "The parameters with which to connect to the remote host.")
	a.Describe(&c.Triggers, "Values that replace the resource (copying again) when they change.")
	a.Describe(&c.Source, "What to copy: a FileAsset, a StringAsset or a FileArchive (a file or directory, "+
		"copied as is). Directories are copied recursively, overwriting existing files.")
	a.Describe(&c.RemotePath, "The destination on the host; missing parent directories are created. "+
		"A source copied onto an existing directory lands inside it (a directory whose path ends in \"/\" "+
		"contributes its contents); a file overwrites an existing file; a directory onto an existing file fails.")
}

var (
	_ infer.CustomResource[CopyToRemoteInputs, CopyToRemoteOutputs] = (*CopyToRemote)(nil)
	_ infer.CustomCheck[CopyToRemoteInputs]                         = (*CopyToRemote)(nil)
	_ infer.CustomUpdate[CopyToRemoteInputs, CopyToRemoteOutputs]   = (*CopyToRemote)(nil)
)

// Check fills the connection defaults and requires exactly one of asset or archive: a path-based or
// text asset, or a path-based archive (same failures, property names and reasons as upstream).
func (*CopyToRemote) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[CopyToRemoteInputs], error) {
	inputs, failures, err := infer.DefaultCheck[CopyToRemoteInputs](ctx, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[CopyToRemoteInputs]{Inputs: inputs, Failures: failures}, err
	}
	asset, archive := inputs.Source.Asset, inputs.Source.Archive
	switch {
	case asset != nil && archive != nil:
		failures = append(failures, p.CheckFailure{Property: "asset", Reason: "only one of asset or archive can be set"})
	case asset == nil && archive == nil:
		failures = append(failures, p.CheckFailure{Property: "asset", Reason: "either asset or archive must be set"})
	}
	if asset != nil && !asset.IsPath() && !asset.IsText() {
		failures = append(failures, p.CheckFailure{Property: "asset", Reason: "asset must be a path-based file asset or a text asset"})
	}
	if archive != nil && !archive.IsPath() {
		failures = append(failures, p.CheckFailure{Property: "archive", Reason: "archive must be a path to a file or directory"})
	}
	return infer.CheckResponse[CopyToRemoteInputs]{Inputs: inputs, Failures: failures}, nil
}

func (*CopyToRemote) Create(ctx context.Context, req infer.CreateRequest[CopyToRemoteInputs]) (infer.CreateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.CreateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	if err := copyToRemote(ctx, req.Inputs); err != nil {
		return infer.CreateResponse[CopyToRemoteOutputs]{Output: out}, err
	}
	id, err := resource.NewUniqueHex("", 8, 0)
	return infer.CreateResponse[CopyToRemoteOutputs]{ID: id, Output: out}, err
}

// Update copies again only when the source's content hash or the destination changed; a connection-only
// change copies nothing (as upstream).
func (*CopyToRemote) Update(ctx context.Context, req infer.UpdateRequest[CopyToRemoteInputs, CopyToRemoteOutputs]) (infer.UpdateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	if req.Inputs.sourceHash() == req.State.sourceHash() && req.Inputs.RemotePath == req.State.RemotePath {
		return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, copyToRemote(ctx, req.Inputs)
}

// sourceHash is the content hash the engine computed for the asset or archive.
func (c *CopyToRemoteInputs) sourceHash() string {
	switch {
	case c.Source.Archive != nil:
		return c.Source.Archive.Hash
	case c.Source.Asset != nil:
		return c.Source.Asset.Hash
	}
	return ""
}

func copyToRemote(ctx context.Context, in CopyToRemoteInputs) error {
	text := in.Source.Asset != nil && in.Source.Asset.IsText()
	var source string
	switch {
	case text:
	case in.Source.Asset != nil:
		source = in.Source.Asset.Path
	case in.Source.Archive != nil:
		source = in.Source.Archive.Path
	default:
		return errors.New("source: either asset or archive must be set")
	}
	if in.Connection == nil {
		return errors.New("connection is required")
	}
	if text {
		p.GetLogger(ctx).Debugf("Creating file %s:%s from a text asset", in.Connection.host(), in.RemotePath)
	} else {
		p.GetLogger(ctx).Debugf("Creating file %s:%s from local file %s", in.Connection.host(), in.RemotePath, source)
	}

	conn, err := in.Connection.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Each file is written by a single ReadFrom, so concurrent writes cannot leave gaps.
	sftpClient, err := sftp.NewClient(conn.Client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return fmt.Errorf("starting sftp on %s: %w", in.Connection.host(), err)
	}
	defer sftpClient.Close()

	if text {
		return writeText(sftpClient, in.Source.Asset.Text, in.RemotePath)
	}
	return copyPath(sftpClient, source, in.RemotePath)
}

// remoteStat returns nil, nil when path does not exist.
func remoteStat(c *sftp.Client, name string) (fs.FileInfo, error) {
	info, err := c.Stat(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to stat remote path %s: %w", name, err)
	}
	return info, nil
}

// writeText writes a text asset to dest, which must be a file path.
func writeText(c *sftp.Client, text, dest string) error {
	info, err := remoteStat(c, dest)
	if err != nil {
		return err
	}
	if info != nil && info.IsDir() {
		return fmt.Errorf("remote path %s is a directory; when using a text asset, remotePath must be a file path", dest)
	}
	if err := c.MkdirAll(path.Dir(dest)); err != nil {
		return fmt.Errorf("failed to create parent directories for %s: %w", dest, err)
	}
	file, err := c.Create(dest)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", dest, err)
	}
	if _, err := file.Write([]byte(text)); err != nil {
		_ = file.Close()
		return fmt.Errorf("failed to write text content to remote path %s: %w", dest, err)
	}
	return file.Close()
}

// copyPath copies a local file or directory. Where it lands:
//
//	source    dest is a directory    dest missing                dest is a file
//	file      dest/<file>            dest (parents created)      dest (overwritten)
//	dir       dest/<dir>             dest/<dir> (dest created)   error
//	dir/      dest/<dir's entries>   dest/<dir's entries>        error
func copyPath(c *sftp.Client, source, dest string) error {
	info, err := os.Stat(source)
	if err != nil {
		return err
	}
	destInfo, err := remoteStat(c, dest)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		switch {
		case destInfo != nil && destInfo.IsDir():
			dest = path.Join(dest, filepath.Base(source))
		case destInfo == nil:
			if err := c.MkdirAll(path.Dir(dest)); err != nil {
				return fmt.Errorf("failed to create parent directories for %s: %w", dest, err)
			}
		}
		return copyFile(c, source, dest)
	}

	switch {
	case destInfo == nil:
		if err := c.MkdirAll(dest); err != nil {
			return fmt.Errorf("failed to create remote directory %s: %w", dest, err)
		}
	case !destInfo.IsDir():
		return fmt.Errorf("remote path %s exists but is not a directory", dest)
	}
	if !strings.HasSuffix(source, "/") {
		dest = path.Join(dest, filepath.Base(source))
	}
	return copyTree(c, source, dest)
}

// copyTree copies the directory source's entries into dest, creating directories as needed.
func copyTree(c *sftp.Client, source, dest string) error {
	return fs.WalkDir(os.DirFS(source), ".", func(rel string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := path.Join(dest, rel)
		if !entry.IsDir() {
			return copyFile(c, filepath.Join(source, filepath.FromSlash(rel)), target)
		}
		info, err := remoteStat(c, target)
		switch {
		case err != nil:
			return err
		case info == nil:
			if err := c.Mkdir(target); err != nil {
				return fmt.Errorf("failed to create remote directory %s: %w", target, err)
			}
		case !info.IsDir():
			return fmt.Errorf("remote path %s exists but is not a directory", target)
		}
		return nil
	})
}

// copyFile uploads one file. As upstream, the remote file gets the server's default mode, not the local one.
func copyFile(c *sftp.Client, source, dest string) error {
	local, err := os.Open(source)
	if err != nil {
		return err
	}
	defer local.Close()
	remote, err := c.Create(dest)
	if err != nil {
		return fmt.Errorf("failed to create remote file %s: %w", dest, err)
	}
	if _, err := remote.ReadFrom(local); err != nil {
		_ = remote.Close()
		return fmt.Errorf("failed to copy file %s to remote path %s: %w", source, dest, err)
	}
	return remote.Close()
}
