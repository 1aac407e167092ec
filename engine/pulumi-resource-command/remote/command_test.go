// command_test.go — remote.Command against the in-process SSH server: hostKey pinning (accepted, refused,
// algorithm pinned to the key type), dial retries, agent auth, environment and addPreviousOutputInEnv,
// the logging enum, stdin, and that a cancelled context does not interrupt a running command.
package remote

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func TestHostKeyIsPinnedWithItsAlgorithm(t *testing.T) {
	t.Parallel()
	ed, ec := newSigner(t, "ed25519"), newSigner(t, "ecdsa")
	// The client prefers ECDSA over ed25519, so an ed25519 pin only works when the algorithm is pinned too.
	server := startSSHServer(t, serverOptions{hostKeys: []ssh.Signer{ed, ec}})
	provider := newProvider(t, t.Context())

	for _, tc := range []struct {
		name    string
		key     ssh.PublicKey
		wantAlg string
	}{
		{"ed25519", ed.PublicKey(), ssh.KeyAlgoED25519},
		{"ecdsa", ec.PublicKey(), ssh.KeyAlgoECDSA256},
	} {
		urn := urnOf("Command", "pinned-"+tc.name)
		out := mustCreate(t, provider, urn, mapOf(
			"connection", server.connection(map[string]property.Value{"hostKey": str(authorizedLine(tc.key))}),
			"create", str("echo connected"),
		))
		if got := stringOut(t, out, "stdout"); got != "connected" {
			t.Errorf("%s: stdout = %q, want connected", tc.name, got)
		}
		_, algs, _, _, _ := server.snapshot()
		if last := algs[len(algs)-1]; last != tc.wantAlg {
			t.Errorf("%s pin: negotiated host key algorithm %q, want %q", tc.name, last, tc.wantAlg)
		}
	}

	// Without hostKey any key is accepted (and the client's preference wins).
	mustCreate(t, provider, urnOf("Command", "unpinned"), mapOf("connection", server.connection(nil), "create", str("true")))
}

func TestHostKeyMismatchIsRefused(t *testing.T) {
	t.Parallel()
	hostKey := newSigner(t, "ed25519")
	server := startSSHServer(t, serverOptions{hostKeys: []ssh.Signer{hostKey}})
	other := newSigner(t, "ed25519").PublicKey()
	provider := newProvider(t, t.Context())

	_, err := provider.Create(p.CreateRequest{Urn: urnOf("Command", "mismatch"), Properties: mapOf(
		"connection", server.connection(map[string]property.Value{"hostKey": str(authorizedLine(other))}),
		"create", str("touch ran"),
	)})
	if err == nil {
		t.Fatal("create succeeded against a host whose key is not the pinned one")
	}
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("error is not a HostKeyMismatchError: %v", err)
	}
	for _, want := range []string{"host key mismatch", server.address(), ssh.FingerprintSHA256(other), ssh.FingerprintSHA256(hostKey.PublicKey())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, statErr := os.Stat(filepath.Join(server.home, "ran")); statErr == nil {
		t.Error("the command ran although the host key was refused")
	}
}

// An RSA hostKey pins "ssh-rsa" (SHA-1 signatures), exactly like upstream: it works against a server that
// still offers ssh-rsa and fails against one that, like OpenSSH ≥ 8.8, offers only rsa-sha2-*.
func TestRSAHostKeyPinsSSHRSA(t *testing.T) {
	t.Parallel()
	rsaKey := newSigner(t, "rsa")
	provider := newProvider(t, t.Context())
	pin := map[string]property.Value{"hostKey": str(authorizedLine(rsaKey.PublicKey()))}

	legacy := startSSHServer(t, serverOptions{hostKeys: []ssh.Signer{rsaKey}})
	mustCreate(t, provider, urnOf("Command", "rsa-legacy"), mapOf("connection", legacy.connection(pin), "create", str("true")))
	if _, algs, _, _, _ := legacy.snapshot(); len(algs) != 1 || algs[0] != ssh.KeyAlgoRSA {
		t.Errorf("negotiated host key algorithms %v, want [%s]", algs, ssh.KeyAlgoRSA)
	}

	sha2Only, err := ssh.NewSignerWithAlgorithms(rsaKey.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512})
	if err != nil {
		t.Fatal(err)
	}
	modern := startSSHServer(t, serverOptions{hostKeys: []ssh.Signer{sha2Only}})
	_, err = provider.Create(p.CreateRequest{Urn: urnOf("Command", "rsa-modern"), Properties: mapOf(
		"connection", modern.connection(pin), "create", str("true"))})
	if err == nil || !strings.Contains(err.Error(), "no common algorithm for host key") || !strings.Contains(err.Error(), "OpenSSH 8.8") {
		t.Fatalf("want a host key algorithm negotiation failure that explains ssh-rsa, got %v", err)
	}

	config, _, err := (&endpoint{HostKey: ptr(authorizedLine(rsaKey.PublicKey()))}).clientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(config.HostKeyAlgorithms, []string{"ssh-rsa"}) {
		t.Errorf("HostKeyAlgorithms = %v, want [ssh-rsa]", config.HostKeyAlgorithms)
	}
}

func TestUnparsableHostKeyIsAnError(t *testing.T) {
	t.Parallel()
	_, _, err := (&endpoint{HostKey: ptr("not a key")}).clientConfig()
	if err == nil || !strings.Contains(err.Error(), "cannot parse hostKey") {
		t.Fatalf("want a hostKey parse error, got %v", err)
	}
}

// dialErrorLimit N allows N failed dials: N+1 attempts in all, every error retried (as upstream).
func TestDialRetriesUpToTheLimit(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	wrongKey := authorizedLine(newSigner(t, "ed25519").PublicKey())
	_, err := provider.Create(p.CreateRequest{Urn: urnOf("Command", "retries"), Properties: mapOf(
		"connection", server.connection(map[string]property.Value{"hostKey": str(wrongKey), "dialErrorLimit": property.New(2.0)}),
		"create", str("true"))})
	if err == nil || !strings.Contains(err.Error(), "after 3 failed attempts") {
		t.Fatalf("want a dial error after 3 attempts, got %v", err)
	}
	if connections, _, _, _, _ := server.snapshot(); connections != 3 {
		t.Errorf("server saw %d connections, want 3 (dialErrorLimit 2 + 1)", connections)
	}
}

func TestAgentAuthentication(t *testing.T) {
	key := newPrivateKey(t, "ed25519")
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	server := startSSHServer(t, serverOptions{authorizedKey: signer.PublicKey()})
	socket := startAgent(t, key)
	provider := newProvider(t, t.Context())
	noPassword := map[string]property.Value{"password": property.Value{}}

	t.Run("agentSocketPath", func(t *testing.T) {
		withSocket := map[string]property.Value{"password": property.Value{}, "agentSocketPath": str(socket)}
		mustCreate(t, provider, urnOf("Command", "agent-path"), mapOf("connection", server.connection(withSocket), "create", str("true")))
	})
	t.Run("SSH_AUTH_SOCK", func(t *testing.T) {
		t.Setenv(agentSocketEnv, socket)
		mustCreate(t, provider, urnOf("Command", "agent-env"), mapOf("connection", server.connection(noPassword), "create", str("true")))
	})
	t.Run("no agent, no password", func(t *testing.T) {
		_, err := provider.Create(p.CreateRequest{Urn: urnOf("Command", "agent-none"), Properties: mapOf(
			"connection", server.connection(noPassword), "create", str("true"))})
		if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
			t.Fatalf("want an authentication failure, got %v", err)
		}
	})
	t.Run("unreachable agent is an error", func(t *testing.T) {
		// As upstream: even with a good password, a configured agent that cannot be reached fails the dial.
		missing := map[string]property.Value{"agentSocketPath": str(filepath.Join(t.TempDir(), "none.sock"))}
		_, err := provider.Create(p.CreateRequest{Urn: urnOf("Command", "agent-missing"), Properties: mapOf(
			"connection", server.connection(missing), "create", str("true"))})
		if err == nil || !strings.Contains(err.Error(), "cannot reach the SSH agent") {
			t.Fatalf("want an agent error, got %v", err)
		}
	})
}

// startAgent serves an SSH agent holding key (a crypto private key) on a unix socket and returns its path.
func startAgent(t *testing.T, key any) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "agent") // short: unix socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	socket := filepath.Join(dir, "agent.sock")
	listener, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = agent.ServeAgent(keyring, conn)
			}()
		}
	}()
	return socket
}

func TestEnvironment(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{acceptEnv: []string{"GREETING"}})
	provider := newProvider(t, t.Context())

	out := mustCreate(t, provider, urnOf("Command", "env-accepted"), mapOf(
		"connection", server.connection(nil),
		"create", str(`echo "$GREETING"`),
		"environment", property.New(mapOf("GREETING", str("hello"))),
	))
	if got := stringOut(t, out, "stdout"); got != "hello" {
		t.Errorf("stdout = %q, want hello", got)
	}

	// A variable sshd refuses fails the command before it runs, with an error diagnostic.
	urn := urnOf("Command", "env-refused")
	_, err := provider.Create(p.CreateRequest{Urn: urn, Properties: mapOf(
		"connection", server.connection(nil),
		"create", str("touch refused-ran"),
		"environment", property.New(mapOf("NOT_ACCEPTED", str("x"))),
	)})
	if err == nil || !strings.Contains(err.Error(), `could not set environment variable "NOT_ACCEPTED"`) {
		t.Fatalf("want a Setenv error, got %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(server.home, "refused-ran")); statErr == nil {
		t.Error("the command ran although its environment was refused")
	}
	if !logged(urn, func(r logRecord) bool { return r.level == slog.LevelError && strings.Contains(r.msg, "AcceptEnv") }) {
		t.Errorf("no error diagnostic about AcceptEnv; logs: %v", logs.of(urn))
	}
}

func TestAddPreviousOutputInEnv(t *testing.T) {
	t.Parallel()
	accepting := startSSHServer(t, serverOptions{acceptEnv: []string{previousStdoutEnv, previousStderrEnv}})
	refusing := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	const echoPrevious = `echo "out=$PULUMI_COMMAND_STDOUT err=$PULUMI_COMMAND_STDERR"`

	update := func(server *testSSHServer, name string, extra property.Map, oldStdout, oldStderr string) (property.Map, error) {
		inputs := mapOf("connection", server.connection(nil), "create", str(echoPrevious))
		for k, v := range extra.All {
			inputs = inputs.Set(k, v)
		}
		state := inputs.Set("stdout", str(oldStdout)).Set("stderr", str(oldStderr))
		resp, err := provider.Update(p.UpdateRequest{ID: "x", Urn: urnOf("Command", name), State: state, Inputs: inputs})
		return resp.Properties, err
	}

	t.Run("create sets nothing", func(t *testing.T) {
		mustCreate(t, provider, urnOf("Command", "prev-create"), mapOf("connection", accepting.connection(nil), "create", str(echoPrevious)))
		if _, _, _, envRequests, _ := accepting.snapshot(); len(envRequests) != 0 {
			t.Errorf("create sent env requests %v", envRequests)
		}
	})
	t.Run("update gets the previous outputs (default true)", func(t *testing.T) {
		out, err := update(accepting, "prev-default", property.Map{}, "old out", "old err")
		if err != nil {
			t.Fatal(err)
		}
		if got := stringOut(t, out, "stdout"); got != "out=old out err=old err" {
			t.Errorf("stdout = %q", got)
		}
	})
	t.Run("empty previous output is not sent", func(t *testing.T) {
		before := len(envRequestsOf(accepting))
		out, err := update(accepting, "prev-empty", property.Map{}, "only out", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := stringOut(t, out, "stdout"); got != "out=only out err=" {
			t.Errorf("stdout = %q", got)
		}
		if sent := envRequestsOf(accepting)[before:]; !slices.Equal(sent, []string{previousStdoutEnv}) {
			t.Errorf("env requests %v, want only %s", sent, previousStdoutEnv)
		}
	})
	t.Run("false sends nothing", func(t *testing.T) {
		before := len(envRequestsOf(accepting))
		out, err := update(accepting, "prev-false", mapOf("addPreviousOutputInEnv", property.New(false)), "old out", "old err")
		if err != nil {
			t.Fatal(err)
		}
		if got := stringOut(t, out, "stdout"); got != "out= err=" {
			t.Errorf("stdout = %q", got)
		}
		if sent := envRequestsOf(accepting)[before:]; len(sent) != 0 {
			t.Errorf("env requests %v, want none", sent)
		}
	})
	t.Run("refused: warning, command still runs", func(t *testing.T) {
		out, err := update(refusing, "prev-refused", property.Map{}, "old out", "old err")
		if err != nil {
			t.Fatalf("a refused PULUMI_COMMAND_STDOUT failed the update: %v", err)
		}
		if got := stringOut(t, out, "stdout"); got != "out= err=" {
			t.Errorf("stdout = %q", got)
		}
		urn := urnOf("Command", "prev-refused")
		for _, name := range []string{previousStdoutEnv, previousStderrEnv} {
			if !logged(urn, func(r logRecord) bool { return r.level == slog.LevelWarn && strings.Contains(r.msg, name) }) {
				t.Errorf("no warning about %s; logs: %v", name, logs.of(urn))
			}
		}
	})
	t.Run("delete gets the last outputs", func(t *testing.T) {
		state := mapOf("connection", accepting.connection(nil), "create", str("true"),
			"delete", str(`printf '%s' "$PULUMI_COMMAND_STDOUT" > deleted-with`), "stdout", str("last out"), "stderr", str(""))
		if err := provider.Delete(p.DeleteRequest{ID: "x", Urn: urnOf("Command", "prev-delete"), Properties: state}); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(accepting.home, "deleted-with"))
		if err != nil || string(got) != "last out" {
			t.Errorf("delete saw PULUMI_COMMAND_STDOUT=%q (%v), want %q", got, err, "last out")
		}
	})
	t.Run("update without commands keeps the previous outputs", func(t *testing.T) {
		inputs := mapOf("connection", accepting.connection(nil))
		state := inputs.Set("stdout", str("kept")).Set("stderr", str("kept too"))
		resp, err := provider.Update(p.UpdateRequest{ID: "x", Urn: urnOf("Command", "prev-keep"), State: state, Inputs: inputs})
		if err != nil {
			t.Fatal(err)
		}
		if stringOut(t, resp.Properties, "stdout") != "kept" || stringOut(t, resp.Properties, "stderr") != "kept too" {
			t.Errorf("outputs not kept: %v", resp.Properties)
		}
	})
}

func TestLoggingEnum(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	for _, tc := range []struct {
		logging          string // "" = unset
		wantOut, wantErr bool
	}{
		{"", true, true},
		{"stdoutAndStderr", true, true},
		{"stdout", true, false},
		{"stderr", false, true},
		{"none", false, false},
	} {
		name := "logging-" + tc.logging
		if tc.logging == "" {
			name = "logging-unset"
		}
		urn := urnOf("Command", name)
		inputs := mapOf("connection", server.connection(nil), "create", str("echo out-line; echo err-line >&2; printf no-newline"))
		if tc.logging != "" {
			inputs = inputs.Set("logging", str(tc.logging))
		}
		out := mustCreate(t, provider, urn, inputs)
		// Outputs are captured whatever is logged.
		if stringOut(t, out, "stdout") != "out-line\nno-newline" || stringOut(t, out, "stderr") != "err-line" {
			t.Errorf("%s: outputs stdout=%v stderr=%v", name, out.Get("stdout"), out.Get("stderr"))
		}
		isLine := func(line string) func(logRecord) bool {
			return func(r logRecord) bool { return r.msg == line && r.level == slog.LevelInfo && r.status }
		}
		if got := logged(urn, isLine("out-line")); got != tc.wantOut {
			t.Errorf("%s: stdout line logged = %v, want %v", name, got, tc.wantOut)
		}
		if got := logged(urn, isLine("no-newline")); got != tc.wantOut {
			t.Errorf("%s: final stdout line without newline logged = %v, want %v", name, got, tc.wantOut)
		}
		if got := logged(urn, isLine("err-line")); got != tc.wantErr {
			t.Errorf("%s: stderr line logged = %v, want %v", name, got, tc.wantErr)
		}
	}

	// Like upstream (same pulumi-go-provider), Check does not enforce enum membership; the SDK's types
	// do. A value outside the enum logs neither stream.
	resp, err := provider.Check(p.CheckRequest{Urn: urnOf("Command", "logging-bad"), Inputs: mapOf(
		"connection", server.connection(nil), "logging", str("everything"))})
	if err != nil || len(resp.Failures) != 0 {
		t.Errorf("Check of logging \"everything\": %v %v", err, resp.Failures)
	}
	var unknown Logging = "everything"
	if unknown.logsStdout() || unknown.logsStderr() {
		t.Error("a logging value outside the enum logs output")
	}
}

func TestStdin(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	out := mustCreate(t, provider, urnOf("Command", "stdin"), mapOf(
		"connection", server.connection(nil), "create", str("cat"), "stdin", str("line one\nline two\n")))
	if got := stringOut(t, out, "stdout"); got != "line one\nline two" {
		t.Errorf("stdout = %q", got)
	}
	out = mustCreate(t, provider, urnOf("Command", "stdin-empty"), mapOf(
		"connection", server.connection(nil), "create", str("cat; echo done")))
	if got := stringOut(t, out, "stdout"); got != "done" {
		t.Errorf("without stdin: stdout = %q, want done", got)
	}
}

func TestFailedCommand(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	_, err := provider.Create(p.CreateRequest{Urn: urnOf("Command", "fails"), Properties: mapOf(
		"connection", server.connection(nil), "create", str("echo partial; echo broken >&2; exit 3"))})
	if err == nil {
		t.Fatal("a command exiting 3 succeeded")
	}
	for _, want := range []string{"status 3", "partial", "broken"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// Like upstream, cancelling the request (Ctrl-C, customTimeouts) does not signal a running command: it
// finishes and its output is kept.
func TestCancelDoesNotInterruptARunningCommand(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	provider := newProvider(t, ctx)
	go func() {
		time.Sleep(300 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	out := mustCreate(t, provider, urnOf("Command", "cancelled"), mapOf(
		"connection", server.connection(nil), "create", str("sleep 1; echo finished")))
	if ctx.Err() == nil {
		t.Fatal("the context was not cancelled during the command")
	}
	if got := stringOut(t, out, "stdout"); got != "finished" || time.Since(start) < time.Second {
		t.Errorf("stdout = %q after %s, want the command to finish", got, time.Since(start))
	}
	if _, _, _, _, signals := server.snapshot(); len(signals) != 0 {
		t.Errorf("the command was sent signals %v", signals)
	}
}

// Delete runs `delete` whenever it is set, even "" (upstream does); unset, the host is not contacted.
func TestDeleteCommand(t *testing.T) {
	t.Parallel()
	server := startSSHServer(t, serverOptions{})
	provider := newProvider(t, t.Context())
	state := mapOf("connection", server.connection(nil), "create", str("true"), "stdout", str(""), "stderr", str(""))
	if err := provider.Delete(p.DeleteRequest{ID: "x", Urn: urnOf("Command", "delete-unset"), Properties: state}); err != nil {
		t.Fatal(err)
	}
	if connections, _, _, _, _ := server.snapshot(); connections != 0 {
		t.Errorf("delete without a delete command connected %d times", connections)
	}
	if err := provider.Delete(p.DeleteRequest{ID: "x", Urn: urnOf("Command", "delete-empty"), Properties: state.Set("delete", str(""))}); err != nil {
		t.Fatal(err)
	}
	if _, _, execs, _, _ := server.snapshot(); len(execs) != 1 || execs[0].command != "" {
		t.Errorf("delete \"\" ran %v, want one empty command", execs)
	}
}

// ---- helpers ----

// logged reports whether something matching was logged for urn.
func logged(urn presource.URN, match func(logRecord) bool) bool {
	for _, r := range logs.of(urn) {
		if match(r) {
			return true
		}
	}
	return false
}

func envRequestsOf(s *testSSHServer) []string {
	_, _, _, envRequests, _ := s.snapshot()
	return envRequests
}

func ptr[T any](v T) *T { return &v }
