package remote

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Command runs a command on a remote host over SSH: `create` on create, `update` (or `create` again) on
// update, `delete` on delete. A change to `connection` or `triggers` replaces the resource.
type Command struct{}

// CommandArgs are the inputs, named as in @pulumi/command.
type CommandArgs struct {
	Connection             *Connection        `pulumi:"connection" provider:"replaceOnChanges,secret"`
	Environment            *map[string]string `pulumi:"environment,optional"`
	Triggers               *[]any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create                 *string            `pulumi:"create,optional"`
	Delete                 *string            `pulumi:"delete,optional"`
	Update                 *string            `pulumi:"update,optional"`
	Stdin                  *string            `pulumi:"stdin,optional"`
	AddPreviousOutputInEnv *bool              `pulumi:"addPreviousOutputInEnv,optional"`
	Logging                *string            `pulumi:"logging,optional"`
}

// CommandState is what is checkpointed: the inputs and the command's output.
type CommandState struct {
	CommandArgs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A command to run on a remote host. The connection is established via ssh.")
	a.SetToken("remote", "Command")
}

func (*Command) Create(ctx context.Context, req infer.CreateRequest[CommandArgs]) (infer.CreateResponse[CommandState], error) {
	state := CommandState{CommandArgs: req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil || req.DryRun || state.Create == nil {
		return infer.CreateResponse[CommandState]{ID: id, Output: state}, err
	}
	state.Stdout, state.Stderr, err = state.run(ctx, *state.Create, nil)
	return infer.CreateResponse[CommandState]{ID: id, Output: state}, err
}

func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandArgs, CommandState]) (infer.UpdateResponse[CommandState], error) {
	state := CommandState{CommandArgs: req.Inputs}
	if req.DryRun {
		return infer.UpdateResponse[CommandState]{Output: state}, nil
	}
	cmd := state.Update
	if cmd == nil {
		cmd = state.Create
	}
	var err error
	if cmd != nil {
		state.Stdout, state.Stderr, err = state.run(ctx, *cmd, &req.State)
	}
	return infer.UpdateResponse[CommandState]{Output: state}, err
}

func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandState]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil || *req.State.Delete == "" {
		return infer.DeleteResponse{}, nil
	}
	_, _, err := req.State.run(ctx, *req.State.Delete, &req.State)
	return infer.DeleteResponse{}, err
}

// run executes cmd in one SSH session. Environment variables go through SSH "env" requests, which the
// server may refuse (sshd's AcceptEnv); like upstream, a refusal is not an error.
func (s *CommandState) run(ctx context.Context, cmd string, previous *CommandState) (string, string, error) {
	if s.Connection == nil {
		return "", "", fmt.Errorf("connection is required")
	}
	client, err := s.Connection.dial(ctx)
	if err != nil {
		return "", "", err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", "", err
	}
	defer session.Close()
	if s.Environment != nil {
		for k, v := range *s.Environment {
			_ = session.Setenv(k, v)
		}
	}
	if previous != nil && (s.AddPreviousOutputInEnv == nil || *s.AddPreviousOutputInEnv) {
		_ = session.Setenv("PULUMI_COMMAND_STDOUT", previous.Stdout)
		_ = session.Setenv("PULUMI_COMMAND_STDERR", previous.Stderr)
	}
	if s.Stdin != nil && *s.Stdin != "" {
		session.Stdin = strings.NewReader(*s.Stdin)
	}
	var stdout, stderr, combined bytes.Buffer
	session.Stdout = &teeWriter{&stdout, &combined}
	session.Stderr = &teeWriter{&stderr, &combined}

	done := make(chan error, 1)
	go func() { done <- session.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = session.Signal("KILL")
		err = ctx.Err()
	}
	if err != nil {
		return "", "", fmt.Errorf("%w: running %q:\n%s", err, cmd, combined.String())
	}
	return strings.TrimSuffix(stdout.String(), "\n"), strings.TrimSuffix(stderr.String(), "\n"), nil
}

type teeWriter struct{ a, b *bytes.Buffer }

func (t *teeWriter) Write(p []byte) (int, error) {
	t.b.Write(p)
	return t.a.Write(p)
}
