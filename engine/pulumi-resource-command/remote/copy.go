package remote

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/infer/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// CopyToRemote copies a local file (asset) or folder (archive with a path) to the host over SFTP.
// A folder "dir" lands in remotePath/dir (remotePath is created when missing), as upstream does.
type CopyToRemote struct{}

type CopyToRemoteInputs struct {
	Connection *Connection          `pulumi:"connection" provider:"replaceOnChanges,secret"`
	Triggers   *[]any               `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Source     types.AssetOrArchive `pulumi:"source"`
	RemotePath string               `pulumi:"remotePath"`
}

type CopyToRemoteOutputs struct {
	CopyToRemoteInputs
}

func (c *CopyToRemote) Annotate(a infer.Annotator) {
	a.Describe(&c, "Copy an Asset or Archive to a remote host.")
	a.SetToken("remote", "CopyToRemote")
}

func (*CopyToRemote) Create(ctx context.Context, req infer.CreateRequest[CopyToRemoteInputs]) (infer.CreateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil || req.DryRun {
		return infer.CreateResponse[CopyToRemoteOutputs]{ID: id, Output: out}, err
	}
	return infer.CreateResponse[CopyToRemoteOutputs]{ID: id, Output: out}, copyToRemote(ctx, req.Inputs)
}

func (*CopyToRemote) Update(ctx context.Context, req infer.UpdateRequest[CopyToRemoteInputs, CopyToRemoteOutputs]) (infer.UpdateResponse[CopyToRemoteOutputs], error) {
	out := CopyToRemoteOutputs{req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, nil
	}
	return infer.UpdateResponse[CopyToRemoteOutputs]{Output: out}, copyToRemote(ctx, req.Inputs)
}

func sourcePath(src types.AssetOrArchive) (string, error) {
	switch {
	case src.Asset != nil && src.Asset.IsPath():
		return src.Asset.Path, nil
	case src.Archive != nil && src.Archive.IsPath():
		return src.Archive.Path, nil
	}
	return "", fmt.Errorf("source must be a FileAsset or a FileArchive with a path")
}

func copyToRemote(ctx context.Context, in CopyToRemoteInputs) error {
	local, err := sourcePath(in.Source)
	if err != nil {
		return err
	}
	info, err := os.Stat(local)
	if err != nil {
		return err
	}
	client, err := in.Connection.dial(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	sftpClient, err := sftp.NewClient(client)
	if err != nil {
		return fmt.Errorf("starting sftp on %s: %w", in.Connection.Host, err)
	}
	defer sftpClient.Close()

	if !info.IsDir() {
		dest := in.RemotePath
		if st, err := sftpClient.Stat(dest); err == nil && st.IsDir() {
			dest = path.Join(dest, filepath.Base(local))
		}
		return copyFile(sftpClient, local, dest, info.Mode())
	}
	if err := ensureDir(sftpClient, in.RemotePath); err != nil {
		return err
	}
	dest := in.RemotePath
	if !strings.HasSuffix(local, "/") {
		dest = path.Join(dest, filepath.Base(local))
	}
	return filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(local, p)
		if err != nil {
			return err
		}
		target := path.Join(dest, filepath.ToSlash(rel))
		if d.IsDir() {
			return ensureDir(sftpClient, target)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(sftpClient, p, target, fi.Mode())
	})
}

func ensureDir(c *sftp.Client, dir string) error {
	if st, err := c.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("remote path %s exists but is not a directory", dir)
		}
		return nil
	}
	if err := c.Mkdir(dir); err != nil {
		return fmt.Errorf("creating remote directory %s: %w", dir, err)
	}
	return nil
}

func copyFile(c *sftp.Client, local, remote string, mode fs.FileMode) error {
	src, err := os.Open(local)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := c.Create(remote)
	if err != nil {
		return fmt.Errorf("creating remote file %s: %w", remote, err)
	}
	defer dst.Close()
	if _, err := io.Copy(dst, src); err != nil {
		return fmt.Errorf("copying %s to %s: %w", local, remote, err)
	}
	return c.Chmod(remote, mode.Perm())
}
