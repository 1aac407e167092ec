// logging.go — the `command:remote:Logging` enum and the writer that streams a command's output lines
// to the Pulumi engine, as upstream v1.2.1 does (remote/logging.go, util/util.go LogOutput).
package remote

import (
	"bytes"
	"context"
	"strings"
	"sync"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Logging selects which of the command's output streams are logged. Outputs are captured either way.
type Logging string

const (
	LogStdout          Logging = "stdout"
	LogStderr          Logging = "stderr"
	LogStdoutAndStderr Logging = "stdoutAndStderr"
	NoLogging          Logging = "none"
)

func (Logging) Values() []infer.EnumValue[Logging] {
	return []infer.EnumValue[Logging]{
		{Name: string(LogStdout), Value: LogStdout, Description: "Log stdout only"},
		{Name: string(LogStderr), Value: LogStderr, Description: "Log stderr only"},
		{Name: string(LogStdoutAndStderr), Value: LogStdoutAndStderr, Description: "Log stdout and stderr"},
		{Name: string(NoLogging), Value: NoLogging, Description: "Log neither"},
	}
}

// logsStdout and logsStderr: an unset logging (there is no schema default) logs both, as upstream.
func (l *Logging) logsStdout() bool {
	return l == nil || *l == LogStdout || *l == LogStdoutAndStderr
}

func (l *Logging) logsStderr() bool {
	return l == nil || *l == LogStderr || *l == LogStdoutAndStderr
}

// lineLogger sends each complete line written to it to the engine as an info status message (upstream
// uses InfoStatus: the line shows in the progress display while the command runs). Flush sends a last
// line that has no newline. Safe for concurrent use; each stream should have its own lineLogger so
// that partial lines of stdout and stderr do not mix.
type lineLogger struct {
	ctx     context.Context
	mu      sync.Mutex
	partial bytes.Buffer
}

func newLineLogger(ctx context.Context) *lineLogger { return &lineLogger{ctx: ctx} }

func (l *lineLogger) Write(data []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial.Write(data)
	for {
		line, err := l.partial.ReadString('\n')
		if err != nil { // no newline yet: keep the rest for the next write
			l.partial.Reset()
			l.partial.WriteString(line)
			return len(data), nil
		}
		l.emit(line)
	}
}

func (l *lineLogger) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.partial.Len() > 0 {
		l.emit(l.partial.String())
		l.partial.Reset()
	}
}

func (l *lineLogger) emit(line string) {
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	p.GetLogger(l.ctx).InfoStatus(line)
}
