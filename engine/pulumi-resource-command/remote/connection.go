package remote

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
)

// Connection is how to reach the host (the @pulumi/command `remote.Connection` shape).
type Connection struct {
	Endpoint
	Proxy *ProxyConnection `pulumi:"proxy,optional"`
}

// ProxyConnection is a jump host.
type ProxyConnection struct {
	Endpoint
}

// Endpoint holds the fields a connection and its proxy share.
type Endpoint struct {
	Host               string   `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional" provider:"secret"`
	PrivateKey         *string  `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
}

type endpoint struct {
	host, user                             string
	port                                   int
	password, privateKey, keyPassword, key *string
	dialErrorLimit, perDialTimeoutSeconds  int
}

func (c *Endpoint) endpoint() endpoint {
	return endpoint{host: c.Host, user: deref(c.User, "root"), port: int(derefF(c.Port, 22)), password: c.Password,
		privateKey: c.PrivateKey, keyPassword: c.PrivateKeyPassword, key: c.HostKey,
		dialErrorLimit: derefI(c.DialErrorLimit, 10), perDialTimeoutSeconds: derefI(c.PerDialTimeout, 15)}
}

func (e endpoint) config() (*ssh.ClientConfig, error) {
	var auth []ssh.AuthMethod
	if e.privateKey != nil && *e.privateKey != "" {
		var signer ssh.Signer
		var err error
		if e.keyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*e.privateKey), []byte(*e.keyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*e.privateKey))
		}
		if err != nil {
			return nil, fmt.Errorf("cannot parse the private key for %s@%s: %w", e.user, e.host, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if e.password != nil {
		auth = append(auth, ssh.Password(*e.password))
	}
	if len(auth) == 0 {
		return nil, fmt.Errorf("no SSH credentials for %s@%s: set privateKey or password", e.user, e.host)
	}
	hostKeyCallback := ssh.InsecureIgnoreHostKey() //nolint:gosec // like upstream when no hostKey is given
	if e.key != nil && *e.key != "" {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*e.key))
		if err != nil {
			return nil, fmt.Errorf("cannot parse hostKey for %s: %w", e.host, err)
		}
		hostKeyCallback = ssh.FixedHostKey(pub)
	}
	return &ssh.ClientConfig{User: e.user, Auth: auth, HostKeyCallback: hostKeyCallback,
		Timeout: time.Duration(e.perDialTimeoutSeconds) * time.Second}, nil
}

func (e endpoint) address() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// dial connects to the target, through the proxy when one is set, retrying up to dialErrorLimit times.
func (c *Connection) dial(ctx context.Context) (*ssh.Client, error) {
	target := c.endpoint()
	targetConfig, err := target.config()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 1; target.dialErrorLimit < 0 || attempt <= max(target.dialErrorLimit, 1); attempt++ {
		var client *ssh.Client
		if c.Proxy == nil {
			client, lastErr = ssh.Dial("tcp", target.address(), targetConfig)
		} else {
			client, lastErr = dialThroughProxy(c.Proxy.endpoint(), target, targetConfig)
		}
		if lastErr == nil {
			return client, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(min(attempt, 5)) * time.Second):
		}
	}
	return nil, fmt.Errorf("cannot reach %s as %s after %d attempts: %w", target.address(), target.user, max(target.dialErrorLimit, 1), lastErr)
}

func dialThroughProxy(proxy, target endpoint, targetConfig *ssh.ClientConfig) (*ssh.Client, error) {
	proxyConfig, err := proxy.config()
	if err != nil {
		return nil, err
	}
	proxyClient, err := ssh.Dial("tcp", proxy.address(), proxyConfig)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", proxy.address(), err)
	}
	conn, err := proxyClient.Dial("tcp", target.address())
	if err != nil {
		proxyClient.Close()
		return nil, fmt.Errorf("through proxy %s: %w", proxy.address(), err)
	}
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, target.address(), targetConfig)
	if err != nil {
		proxyClient.Close()
		return nil, err
	}
	return ssh.NewClient(sshConn, chans, reqs), nil
}

func deref(s *string, d string) string {
	if s == nil {
		return d
	}
	return *s
}

func derefF(f *float64, d float64) float64 {
	if f == nil {
		return d
	}
	return *f
}

func derefI(i *int, d int) int {
	if i == nil {
		return d
	}
	return *i
}
