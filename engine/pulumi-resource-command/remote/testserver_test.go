// testserver_test.go — test fixtures: an in-process SSH server on 127.0.0.1 (password or public-key auth,
// `env` requests accepted per an allow-list like sshd's AcceptEnv, `exec` through /bin/sh in a temporary
// home directory, the sftp subsystem) that records what clients asked for; an in-memory provider server;
// and a slog handler that captures what the provider logs.
package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver"
	"github.com/pkg/sftp"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"golang.org/x/crypto/ssh"
)

const (
	testUser     = "tester"
	testPassword = "secret"
)

var logs = &logSink{}

func TestMain(m *testing.M) {
	// Hermetic: an agent socket from the caller's environment would join every dial.
	os.Unsetenv(agentSocketEnv)
	slog.SetDefault(slog.New(&captureHandler{sink: logs}))
	os.Exit(m.Run())
}

// ---- SSH server ----

type serverOptions struct {
	hostKeys      []ssh.Signer  // default: one new ed25519 key
	acceptEnv     []string      // variable names `env` requests may set
	authorizedKey ssh.PublicKey // when set, this key may log in too
}

type testSSHServer struct {
	host string
	port int
	home string // the commands' working directory and the sftp working directory
	opts serverOptions

	mu          sync.Mutex
	connections int      // TCP connections accepted
	hostKeyAlgs []string // the host key algorithm negotiated, per authenticated connection
	execs       []testExec
	envRequests []string // every variable name the client asked to set, accepted or not
	signals     []string
}

type testExec struct {
	command string
	env     map[string]string
}

func startSSHServer(t *testing.T, opts serverOptions) *testSSHServer {
	t.Helper()
	if len(opts.hostKeys) == 0 {
		opts.hostKeys = []ssh.Signer{newSigner(t, "ed25519")}
	}
	s := &testSSHServer{host: "127.0.0.1", home: t.TempDir(), opts: opts}
	config := &ssh.ServerConfig{
		PasswordCallback: func(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			if meta.User() == testUser && string(password) == testPassword {
				s.authenticated(meta)
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if opts.authorizedKey != nil && meta.User() == testUser && string(key.Marshal()) == string(opts.authorizedKey.Marshal()) {
				s.authenticated(meta)
				return nil, nil
			}
			return nil, errors.New("key not authorized")
		},
	}
	for _, key := range opts.hostKeys {
		config.AddHostKey(key)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = listener.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	t.Cleanup(func() {
		listener.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.connections++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.serve(conn, config)
			}()
		}
	}()
	return s
}

func (s *testSSHServer) authenticated(meta ssh.ConnMetadata) {
	algs := meta.(ssh.AlgorithmsConnMetadata).Algorithms()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostKeyAlgs = append(s.hostKeyAlgs, algs.HostKey)
}

func (s *testSSHServer) serve(conn net.Conn, config *ssh.ServerConfig) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second)) // a stuck test must not hang the run
	sshConn, channels, requests, err := ssh.NewServerConn(conn, config)
	if err != nil {
		return
	}
	defer sshConn.Close()
	go ssh.DiscardRequests(requests)
	var sessions sync.WaitGroup
	for newChannel := range channels {
		if newChannel.ChannelType() != "session" {
			_ = newChannel.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		channel, requests, err := newChannel.Accept()
		if err != nil {
			continue
		}
		sessions.Add(1)
		go func() {
			defer sessions.Done()
			s.session(channel, requests)
		}()
	}
	sessions.Wait()
}

func (s *testSSHServer) session(channel ssh.Channel, requests <-chan *ssh.Request) {
	env := map[string]string{}
	var running sync.WaitGroup
	defer running.Wait()
	for req := range requests {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			_ = ssh.Unmarshal(req.Payload, &kv)
			accepted := slices.Contains(s.opts.acceptEnv, kv.Name)
			if accepted {
				env[kv.Name] = kv.Value
			}
			s.mu.Lock()
			s.envRequests = append(s.envRequests, kv.Name)
			s.mu.Unlock()
			_ = req.Reply(accepted, nil)
		case "exec":
			var payload struct{ Command string }
			_ = ssh.Unmarshal(req.Payload, &payload)
			_ = req.Reply(true, nil)
			envCopy := map[string]string{}
			for k, v := range env {
				envCopy[k] = v
			}
			s.mu.Lock()
			s.execs = append(s.execs, testExec{command: payload.Command, env: envCopy})
			s.mu.Unlock()
			running.Add(1)
			go func() {
				defer running.Done()
				status := s.run(payload.Command, envCopy, channel)
				_, _ = channel.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
				_ = channel.Close()
			}()
		case "subsystem":
			var payload struct{ Name string }
			_ = ssh.Unmarshal(req.Payload, &payload)
			if payload.Name != "sftp" {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			running.Add(1)
			go func() {
				defer running.Done()
				server, err := sftp.NewServer(channel, sftp.WithServerWorkingDirectory(s.home))
				if err == nil {
					_ = server.Serve()
				}
				_ = channel.Close()
			}()
		case "signal":
			var payload struct{ Signal string }
			_ = ssh.Unmarshal(req.Payload, &payload)
			s.mu.Lock()
			s.signals = append(s.signals, payload.Signal)
			s.mu.Unlock()
			_ = req.Reply(false, nil)
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// run runs command like sshd does: `sh -c command` with the accepted variables, in the home directory.
func (s *testSSHServer) run(command string, env map[string]string, channel ssh.Channel) uint32 {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = s.home
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + s.home}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = channel, channel, channel.Stderr()
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return uint32(exitErr.ExitCode())
	default:
		return 255
	}
}

// snapshot returns copies of what the server recorded.
func (s *testSSHServer) snapshot() (connections int, hostKeyAlgs []string, execs []testExec, envRequests, signals []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections, slices.Clone(s.hostKeyAlgs), slices.Clone(s.execs), slices.Clone(s.envRequests), slices.Clone(s.signals)
}

// newPrivateKey makes a fresh key of the given kind: "ed25519", "ecdsa" (P-256) or "rsa" (2048 bits).
func newPrivateKey(t *testing.T, kind string) any {
	t.Helper()
	var key any
	var err error
	switch kind {
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// newSigner makes a fresh SSH key of the given kind (see newPrivateKey).
func newSigner(t *testing.T, kind string) ssh.Signer {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(newPrivateKey(t, kind))
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// authorizedLine is the key as an authorized_keys line, the form hostKey takes.
func authorizedLine(key ssh.PublicKey) string {
	return string(ssh.MarshalAuthorizedKey(key))
}

// connection is a `connection` input for s with password auth and one dial attempt (no retry delay);
// extra entries are added or override.
func (s *testSSHServer) connection(extra map[string]property.Value) property.Value {
	fields := map[string]property.Value{
		"host":           property.New(s.host),
		"port":           property.New(float64(s.port)),
		"user":           property.New(testUser),
		"password":       property.New(testPassword),
		"dialErrorLimit": property.New(0.0),
		"perDialTimeout": property.New(5.0),
	}
	for k, v := range extra {
		if v.IsNull() {
			delete(fields, k)
			continue
		}
		fields[k] = v
	}
	return property.New(property.NewMap(fields))
}

func (s *testSSHServer) address() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// ---- provider ----

// newProvider serves this package's resources in memory; ctx scopes every request.
func newProvider(t *testing.T, ctx context.Context) integration.Server {
	t.Helper()
	provider, err := infer.NewProviderBuilder().WithResources(Resources()...).Build()
	if err != nil {
		t.Fatal(err)
	}
	server, err := integration.NewServer(ctx, "command", semver.MustParse("1.2.1"), integration.WithProvider(provider))
	if err != nil {
		t.Fatal(err)
	}
	return server
}

// urnOf names a test resource; each test uses its own name so its logs can be told apart.
func urnOf(kind, name string) presource.URN {
	return presource.NewURN("test", "command", "", tokens.Type("command:remote:"+kind), name)
}

// viaWire sends a provider response's properties through the gRPC encoding and back, as the engine sees
// them: there an asset or archive output (a map with the signature key) becomes an asset again.
func viaWire(t *testing.T, m property.Map) property.Map {
	t.Helper()
	opts := plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true}
	wire, err := plugin.MarshalProperties(presource.ToResourcePropertyMap(m), opts)
	if err != nil {
		t.Fatal(err)
	}
	back, err := plugin.UnmarshalProperties(wire, opts)
	if err != nil {
		t.Fatal(err)
	}
	return presource.FromResourcePropertyMap(back)
}

// ---- logs ----

type logRecord struct {
	urn    string
	level  slog.Level
	status bool // an ephemeral status message (InfoStatus and the like)
	msg    string
}

type logSink struct {
	mu      sync.Mutex
	records []logRecord
}

// of returns what was logged for urn.
func (l *logSink) of(urn presource.URN) []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logRecord
	for _, r := range l.records {
		if r.urn == string(urn) {
			out = append(out, r)
		}
	}
	return out
}

// captureHandler receives pulumi-go-provider's logs: without an engine attached it logs through slog
// with "urn" and, for status messages, "kind"="status" attributes.
type captureHandler struct {
	sink  *logSink
	attrs []slog.Attr
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message}
	visit := func(a slog.Attr) bool {
		switch a.Key {
		case "urn":
			rec.urn = a.Value.String()
		case "kind":
			rec.status = a.Value.String() == "status"
		}
		return true
	}
	for _, a := range h.attrs {
		visit(a)
	}
	r.Attrs(visit)
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	h.sink.records = append(h.sink.records, rec)
	return nil
}

func (h *captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &captureHandler{sink: h.sink, attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *captureHandler) WithGroup(string) slog.Handler { return h }

// ---- small helpers ----

func str(s string) property.Value { return property.New(s) }

func mapOf(kv ...any) property.Map {
	m := map[string]property.Value{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(property.Value)
	}
	return property.NewMap(m)
}

// create runs a Command create and returns its outputs, failing the test on error.
func mustCreate(t *testing.T, server integration.Server, urn presource.URN, inputs property.Map) property.Map {
	t.Helper()
	resp, err := server.Create(p.CreateRequest{Urn: urn, Properties: inputs})
	if err != nil {
		t.Fatalf("create %s: %v", urn.Name(), err)
	}
	return resp.Properties
}

func stringOut(t *testing.T, props property.Map, key string) string {
	t.Helper()
	v := props.Get(key)
	if !v.IsString() {
		t.Fatalf("%s is not a string: %v", key, v)
	}
	return v.AsString()
}
