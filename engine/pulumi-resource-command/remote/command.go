// command.go — the `command:remote:Command` resource: runs `create` / `update` / `delete` over SSH with
// the same inputs, outputs, defaults, diff and environment rules as upstream pulumi-command v1.2.1
// (learned from its remote/command.go, commandController.go, commandOutputs.go, common/inputs.go and
// schema.json).
package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The variables that carry the previous run's outputs into update and delete.
const (
	previousStdoutEnv = "PULUMI_COMMAND_STDOUT"
	previousStderrEnv = "PULUMI_COMMAND_STDERR"
)

// Command runs commands on a remote host over SSH.
type Command struct{}

// CommandInputs are the inputs. Only `triggers` forces a replacement; every other change (including
// `connection`) is an update, which runs `update` (or `create` when there is no `update`).
type CommandInputs struct {
	Triggers               *[]any            `pulumi:"triggers,optional"               provider:"replaceOnChanges"`
	Create                 *string           `pulumi:"create,optional"`
	Update                 *string           `pulumi:"update,optional"`
	Delete                 *string           `pulumi:"delete,optional"`
	Stdin                  *string           `pulumi:"stdin,optional"`
	Logging                *Logging          `pulumi:"logging,optional"`
	Connection             *Connection       `pulumi:"connection"                      provider:"secret"`
	Environment            map[string]string `pulumi:"environment,optional"`
	AddPreviousOutputInEnv *bool             `pulumi:"addPreviousOutputInEnv,optional"`
}

// CommandOutputs is the checkpointed state: the inputs plus the last successful run's output.
type CommandOutputs struct {
	CommandInputs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A command to run on a remote host. The connection is established via ssh.")
	a.SetToken("remote", "Command")
}

func (c *CommandInputs) Annotate(a infer.Annotator) {
	a.Describe(&c.Triggers, "Values that replace the resource (running delete, then create) when they change.")
	a.Describe(&c.Create, "The command to run when the resource is created, and on updates when `update` is unset.")
	a.Describe(&c.Update, "The command to run when the inputs change. PULUMI_COMMAND_STDOUT and "+
		"PULUMI_COMMAND_STDERR hold the previous run's output.")
	a.Describe(&c.Delete, "The command to run when the resource is deleted. PULUMI_COMMAND_STDOUT and "+
		"PULUMI_COMMAND_STDERR hold the last run's output.")
	a.Describe(&c.Stdin, "Text passed to the command's standard input.")
	a.Describe(&c.Logging, "Which output streams to log while the command runs. stdout and stderr are "+
		"captured as outputs regardless. Defaults to logging both.")
	a.Describe(&c.Connection, "The parameters with which to connect to the remote host.")
	a.Describe(&c.Environment, "Environment variables for the command. They are sent as SSH `env` requests, "+
		"which the server must accept (sshd's AcceptEnv); a refused variable fails the command.")
	a.Describe(&c.AddPreviousOutputInEnv, "Whether update and delete get the previous stdout and stderr as "+
		"PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR. Defaults to true.")
}

func (c *CommandOutputs) Annotate(a infer.Annotator) {
	a.Describe(&c.Stdout, "The standard output of the command's last successful run.")
	a.Describe(&c.Stderr, "The standard error of the command's last successful run.")
}

var (
	_ infer.CustomResource[CommandInputs, CommandOutputs] = (*Command)(nil)
	_ infer.CustomUpdate[CommandInputs, CommandOutputs]   = (*Command)(nil)
	_ infer.CustomDelete[CommandOutputs]                  = (*Command)(nil)
)

func (*Command) Create(ctx context.Context, req infer.CreateRequest[CommandInputs]) (infer.CreateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs}
	id, err := resource.NewUniqueHex(req.Name, 8, 0)
	if err != nil || req.DryRun || req.Inputs.Create == nil {
		return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, err
	}
	err = state.run(ctx, *req.Inputs.Create)
	return infer.CreateResponse[CommandOutputs]{ID: id, Output: state}, err
}

// Update keeps the previous outputs until a run succeeds: they feed PULUMI_COMMAND_STDOUT/STDERR and
// stay in the state when the run fails or there is nothing to run.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandInputs, CommandOutputs]) (infer.UpdateResponse[CommandOutputs], error) {
	state := CommandOutputs{CommandInputs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	if req.DryRun {
		return infer.UpdateResponse[CommandOutputs]{Output: state}, nil
	}
	var err error
	switch {
	case req.Inputs.Update != nil:
		err = state.run(ctx, *req.Inputs.Update)
	case req.Inputs.Create != nil:
		err = state.run(ctx, *req.Inputs.Create)
	}
	return infer.UpdateResponse[CommandOutputs]{Output: state}, err
}

// Delete runs `delete` whenever it is set, even to "" (upstream does: the host is still contacted and
// the server runs an empty command).
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandOutputs]) (infer.DeleteResponse, error) {
	if req.State.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	state := req.State
	return infer.DeleteResponse{}, state.run(ctx, *state.Delete)
}

// run executes cmd in one SSH session and, on success, records its output. Like upstream, a cancelled
// context (Ctrl-C, customTimeouts) stops dial retries but never interrupts a command that is running.
func (s *CommandOutputs) run(ctx context.Context, cmd string) error {
	conn, err := s.Connection.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	session, err := conn.NewSession()
	if err != nil {
		return err
	}
	defer session.Close()

	// A refused `environment` variable is an error (the command would run without it).
	for _, name := range slices.Sorted(maps.Keys(s.Environment)) {
		if err := session.Setenv(name, s.Environment[name]); err != nil {
			p.GetLogger(ctx).Error(setenvAdvice(name))
			return fmt.Errorf("could not set environment variable %q: %w", name, err)
		}
	}
	// The previous outputs are best effort: a refusal is a warning and the command still runs.
	if s.AddPreviousOutputInEnv == nil || *s.AddPreviousOutputInEnv {
		for _, previous := range [...]struct{ name, value string }{{previousStdoutEnv, s.Stdout}, {previousStderrEnv, s.Stderr}} {
			if previous.value == "" {
				continue
			}
			if err := session.Setenv(previous.name, previous.value); err != nil {
				p.GetLogger(ctx).Warning(setenvAdvice(previous.name))
			}
		}
	}
	if s.Stdin != nil && *s.Stdin != "" {
		session.Stdin = strings.NewReader(*s.Stdin)
	}

	// Both streams are always captured; logging only decides which are also streamed to the engine.
	var stdout, stderr bytes.Buffer
	combined := &lockedBuffer{} // both streams interleaved, for the error message
	stdoutWriters := []io.Writer{&stdout, combined}
	stderrWriters := []io.Writer{&stderr, combined}
	var loggers []*lineLogger
	if s.Logging.logsStdout() {
		l := newLineLogger(ctx)
		loggers = append(loggers, l)
		stdoutWriters = append(stdoutWriters, l)
	}
	if s.Logging.logsStderr() {
		l := newLineLogger(ctx)
		loggers = append(loggers, l)
		stderrWriters = append(stderrWriters, l)
	}
	session.Stdout = io.MultiWriter(stdoutWriters...)
	session.Stderr = io.MultiWriter(stderrWriters...)

	err = session.Run(cmd)
	for _, l := range loggers {
		l.Flush()
	}
	if err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, cmd, combined.String())
	}
	s.Stdout = strings.TrimSuffix(stdout.String(), "\n")
	s.Stderr = strings.TrimSuffix(stderr.String(), "\n")
	return nil
}

// setenvAdvice explains a refused SSH `env` request.
func setenvAdvice(name string) string {
	return fmt.Sprintf("Unable to set %q: the SSH server refused it. Environment variables only reach the "+
		"command if sshd accepts them (AcceptEnv in sshd_config). Alternatively, when a Bash-like shell runs "+
		"the command, prefix the command with 'VAR=value'.", name)
}

// lockedBuffer is a bytes.Buffer that stdout and stderr may write to concurrently.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(data)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
