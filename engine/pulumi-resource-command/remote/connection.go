// connection.go — the remote.Connection / remote.ProxyConnection inputs and how they are dialled:
// Check defaults, authentication (key, password, agent), hostKey pinning and dial retries, matching
// the upstream pulumi-command v1.2.1 provider (learned from its remote/connection.go,
// remote/proxyConnection.go, remote/connection_unix.go and its published schema.json).
package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Defaults Check fills in, on the connection and on its proxy alike (upstream's schema declares the
// same four defaults on both types).
const (
	defaultPort           = 22
	defaultUser           = "root"
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15 // seconds; 0 means no limit
)

// agentSocketEnv is consulted when agentSocketPath is not set.
const agentSocketEnv = "SSH_AUTH_SOCK"

// Dial retry schedule: upstream retries with the Pulumi SDK's default back-off (100 ms, ×1.5, ≤ 5 s).
const (
	firstRetryDelay = 100 * time.Millisecond
	retryBackoff    = 1.5
	maxRetryDelay   = 5 * time.Second
)

// Connection is how to reach the host (the `command:remote:Connection` type).
type Connection struct {
	endpoint
	Proxy *ProxyConnection `pulumi:"proxy,optional"`
}

// ProxyConnection is a bastion (jump) host the connection goes through (`command:remote:ProxyConnection`).
type ProxyConnection struct {
	endpoint
}

// endpoint holds the fields a connection and its proxy share (same names, types and secrets as upstream).
type endpoint struct {
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional"           provider:"secret"`
	Host               *string  `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	PrivateKey         *string  `pulumi:"privateKey,optional"         provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
}

func (c *Connection) Annotate(a infer.Annotator) {
	a.Describe(&c, "How to reach the remote host over SSH.")
	annotateEndpoint(a, &c.endpoint, "the host")
	a.Describe(&c.Proxy, "A bastion (jump) host to connect through.")
}

func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.Describe(&c, "How to reach the bastion (jump) host over SSH.")
	annotateEndpoint(a, &c.endpoint, "the bastion host")
}

// annotateEndpoint describes the shared fields and sets the defaults Check fills in.
func annotateEndpoint(a infer.Annotator, e *endpoint, what string) {
	a.Describe(&e.Host, "The address of "+what+".")
	a.Describe(&e.Port, "The SSH port of "+what+". Defaults to 22.")
	a.SetDefault(&e.Port, defaultPort)
	a.Describe(&e.User, "The user to log in to "+what+" as. Defaults to root.")
	a.SetDefault(&e.User, defaultUser)
	a.Describe(&e.Password, "The password for "+what+" (password and keyboard-interactive authentication).")
	a.Describe(&e.PrivateKey, "The contents of a private SSH key for "+what+". Tried before the password.")
	a.Describe(&e.PrivateKeyPassword, "The passphrase of privateKey when it is encrypted.")
	a.Describe(&e.AgentSocketPath, "The SSH agent's socket. Defaults to the SSH_AUTH_SOCK environment variable when set.")
	a.Describe(&e.DialErrorLimit, "How many failed dials to tolerate before giving up; -1 retries forever. Defaults to 10.")
	a.SetDefault(&e.DialErrorLimit, defaultDialErrorLimit)
	a.Describe(&e.PerDialTimeout, "The timeout of each dial attempt in seconds; 0 means none. Defaults to 15.")
	a.SetDefault(&e.PerDialTimeout, defaultPerDialTimeout)
	a.Describe(&e.HostKey, "The expected host key, as an authorized_keys line (\"ssh-ed25519 AAAA…\"). "+
		"When set, only this key (and its algorithm) is accepted; when unset, the host key is not checked.")
}

// The accessors below fall back to the defaults, so a request that skipped Check still works.

func (e *endpoint) host() string {
	if e.Host == nil {
		return ""
	}
	return *e.Host
}

func (e *endpoint) user() string {
	if e.User == nil {
		return defaultUser
	}
	return *e.User
}

func (e *endpoint) address() string {
	port := float64(defaultPort)
	if e.Port != nil {
		port = *e.Port
	}
	return net.JoinHostPort(e.host(), strconv.Itoa(int(port)))
}

func (e *endpoint) dialErrorLimit() int {
	if e.DialErrorLimit == nil {
		return defaultDialErrorLimit
	}
	return *e.DialErrorLimit
}

func (e *endpoint) perDialTimeout() time.Duration {
	seconds := defaultPerDialTimeout
	if e.PerDialTimeout != nil {
		seconds = *e.PerDialTimeout
	}
	return time.Duration(seconds) * time.Second
}

// HostKeyMismatchError is returned when the host offers a key other than the pinned hostKey.
type HostKeyMismatchError struct {
	Host     string // host:port as dialled
	Expected string // SHA256 fingerprint of hostKey
	Offered  string // SHA256 fingerprint of the key the host offered
	Type     string // the offered key's type
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key mismatch: %s offered %s key %s, but hostKey pins %s; refusing to connect",
		e.Host, e.Type, e.Offered, e.Expected)
}

// pinHostKey accepts exactly the given key, like ssh.FixedHostKey, with an error that names both keys.
func pinHostKey(pinned ssh.PublicKey) ssh.HostKeyCallback {
	want := pinned.Marshal()
	return func(hostname string, _ net.Addr, offered ssh.PublicKey) error {
		if bytes.Equal(offered.Marshal(), want) {
			return nil
		}
		return &HostKeyMismatchError{Host: hostname, Expected: ssh.FingerprintSHA256(pinned),
			Offered: ssh.FingerprintSHA256(offered), Type: offered.Type()}
	}
}

// clientConfig builds the SSH client configuration. The returned closers (agent sockets) must be closed
// once the connection is no longer being dialled.
func (e *endpoint) clientConfig() (*ssh.ClientConfig, []io.Closer, error) {
	config := &ssh.ClientConfig{User: e.user(), Timeout: e.perDialTimeout()}
	if e.HostKey != nil {
		pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*e.HostKey))
		if err != nil {
			return nil, nil, fmt.Errorf("cannot parse hostKey for %s as an authorized_keys line: %w", e.host(), err)
		}
		config.HostKeyCallback = pinHostKey(pinned)
		// As upstream: offer only the pinned key's own type as host key algorithm, so the server has to
		// present that key. For an RSA key the type is "ssh-rsa", i.e. SHA-1 signatures, which
		// OpenSSH ≥ 8.8 no longer offers by default (see hostKeyNegotiationError).
		config.HostKeyAlgorithms = []string{pinned.Type()}
	} else {
		config.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // as upstream: no hostKey, no check
	}

	// The order matters to servers that limit attempts: key, password, keyboard-interactive, agent.
	if e.PrivateKey != nil {
		var signer ssh.Signer
		var err error
		if e.PrivateKeyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*e.PrivateKey), []byte(*e.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*e.PrivateKey))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cannot parse privateKey for %s@%s: %w", e.user(), e.host(), err)
		}
		config.Auth = append(config.Auth, ssh.PublicKeys(signer))
	}
	if e.Password != nil {
		password := *e.Password
		config.Auth = append(config.Auth, ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}

	// agentSocketPath wins; otherwise SSH_AUTH_SOCK when non-empty. Like upstream, an agent that cannot
	// be reached is an error even when other credentials are given.
	var socket *string
	if e.AgentSocketPath != nil {
		socket = e.AgentSocketPath
	} else if env := os.Getenv(agentSocketEnv); env != "" {
		socket = &env
	}
	var closers []io.Closer
	if socket != nil {
		conn, err := net.Dial("unix", *socket)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot reach the SSH agent at %s: %w", *socket, err)
		}
		closers = append(closers, conn)
		config.Auth = append(config.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return config, closers, nil
}

// client is an SSH connection to the target that also closes what it was dialled through (the proxy
// connection, agent sockets).
type client struct {
	*ssh.Client
	closers []io.Closer
}

func (c *client) Close() error {
	err := c.Client.Close()
	closeAll(c.closers)
	return err
}

func closeAll(closers []io.Closer) {
	for i := len(closers) - 1; i >= 0; i-- {
		_ = closers[i].Close()
	}
}

// dial connects to the host, through the proxy when one is set, retrying as upstream does.
func (c *Connection) dial(ctx context.Context) (*client, error) {
	if c == nil {
		return nil, errors.New("connection is required")
	}
	config, closers, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	target := c.address()
	if c.Proxy == nil {
		sshClient, err := retryDial(ctx, "Dial", c.dialErrorLimit(), func() (*ssh.Client, error) {
			return ssh.Dial("tcp", target, config)
		})
		if err != nil {
			closeAll(closers)
			return nil, explainDialError(err, c.HostKey)
		}
		return &client{Client: sshClient, closers: closers}, nil
	}

	proxyConfig, proxyClosers, err := c.Proxy.clientConfig()
	if err != nil {
		closeAll(closers)
		return nil, fmt.Errorf("proxy: %w", err)
	}
	closers = append(closers, proxyClosers...)
	proxyAddress := c.Proxy.address()
	proxyClient, err := retryDial(ctx, "Dial proxy", c.Proxy.dialErrorLimit(), func() (*ssh.Client, error) {
		return ssh.Dial("tcp", proxyAddress, proxyConfig)
	})
	if err != nil {
		closeAll(closers)
		return nil, fmt.Errorf("proxy %s: %w", proxyAddress, explainDialError(err, c.Proxy.HostKey))
	}
	closers = append(closers, proxyClient)
	// Each attempt opens a fresh tunnel from the proxy and handshakes over it, within the target's limit.
	sshClient, err := retryDial(ctx, "Dial from proxy", c.dialErrorLimit(), func() (*ssh.Client, error) {
		tunnel, err := proxyClient.Dial("tcp", target)
		if err != nil {
			return nil, err
		}
		conn, channels, requests, err := ssh.NewClientConn(tunnel, target, config)
		if err != nil {
			_ = tunnel.Close()
			return nil, err
		}
		return ssh.NewClient(conn, channels, requests), nil
	})
	if err != nil {
		closeAll(closers)
		return nil, fmt.Errorf("through proxy %s: %w", proxyAddress, explainDialError(err, c.HostKey))
	}
	return &client{Client: sshClient, closers: closers}, nil
}

// retryDial calls dialOnce until it succeeds, more than limit dials have failed (a negative limit never
// gives up), or ctx ends. As upstream, every error is retried (refused connection, authentication,
// host key), limit N means N+1 dials at most, and each retry is reported as an info status.
func retryDial[T any](ctx context.Context, what string, limit int, dialOnce func() (T, error)) (T, error) {
	var zero T
	limitText := "inf"
	if limit >= 0 {
		limitText = strconv.Itoa(limit)
	}
	delay := firstRetryDelay
	for dials := 1; ; dials++ {
		result, err := dialOnce()
		if err == nil {
			return result, nil
		}
		if limit >= 0 && dials > limit {
			attempts := "attempts"
			if dials == 1 {
				attempts = "attempt"
			}
			return zero, fmt.Errorf("%s: giving up after %d failed %s: %w", what, dials, attempts, err)
		}
		p.GetLogger(ctx).InfoStatusf("%s %d/%s failed: retrying", what, dials, limitText)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return zero, fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-timer.C:
		}
		delay = min(time.Duration(float64(delay)*retryBackoff), maxRetryDelay)
	}
}

// explainDialError adds what the bare "no common algorithm for host key" means when hostKey is pinned.
func explainDialError(err error, hostKey *string) error {
	if hostKey == nil || !strings.Contains(err.Error(), "no common algorithm for host key") {
		return err
	}
	pinned, _, _, _, parseErr := ssh.ParseAuthorizedKey([]byte(*hostKey))
	if parseErr != nil {
		return err
	}
	keyType := pinned.Type()
	hint := ""
	if keyType == ssh.KeyAlgoRSA && strings.Contains(err.Error(), "rsa-sha2-") {
		hint = " The host has an RSA key but only signs with SHA-2: an RSA hostKey pins the SHA-1 \"ssh-rsa\" " +
			"algorithm (as the upstream provider does), which OpenSSH 8.8 and later refuse by default; " +
			"pin the host's ed25519 or ECDSA key instead."
	}
	return fmt.Errorf("%w: hostKey pins the %s host key algorithm, which the host does not offer.%s", err, keyType, hint)
}
