package source

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
)

// Environment variables read by AuthFromEnv.
const (
	EnvToken            = "GRAFSYNC_GIT_TOKEN"
	EnvUsername         = "GRAFSYNC_GIT_USERNAME"
	EnvPassword         = "GRAFSYNC_GIT_PASSWORD"
	EnvSSHKey           = "GRAFSYNC_GIT_SSH_KEY"
	EnvSSHKeyPassphrase = "GRAFSYNC_GIT_SSH_KEY_PASSPHRASE"
	EnvKnownHosts       = "GRAFSYNC_GIT_KNOWN_HOSTS"
)

// tokenUser is the user name sent with a token when none is given; GitHub,
// GitLab and Gitea/Forgejo all accept it for token authentication over https.
const tokenUser = "x-access-token"

// Auth holds the credentials for a remote repository. Its values are secrets:
// they must never be printed, logged or written to disk.
type Auth struct {
	// Token is sent over https as the password of basic auth, with Username
	// or, if that is empty, "x-access-token" as the user name.
	Token string
	// Username and Password are https basic auth (when Token is empty).
	Username string
	Password string
	// SSHKeyFile is the path of a private key for ssh URLs, optionally
	// encrypted with SSHKeyPassphrase. Without it, ssh uses the agent at
	// SSH_AUTH_SOCK.
	SSHKeyFile       string
	SSHKeyPassphrase string
	// KnownHostsFile lists the ssh host keys that are trusted;
	// "" means ~/.ssh/known_hosts. An ssh host not in it is refused.
	KnownHostsFile string
}

// AuthFromEnv reads credentials from the GRAFSYNC_GIT_* environment
// variables through getenv (os.Getenv in production).
func AuthFromEnv(getenv func(string) string) Auth {
	return Auth{
		Token:            getenv(EnvToken),
		Username:         getenv(EnvUsername),
		Password:         getenv(EnvPassword),
		SSHKeyFile:       getenv(EnvSSHKey),
		SSHKeyPassphrase: getenv(EnvSSHKeyPassphrase),
		KnownHostsFile:   getenv(EnvKnownHosts),
	}
}

// String keeps secrets out of any accidental %v of an Auth.
func (a Auth) String() string { return "source.Auth(redacted)" }

// GoString keeps secrets out of %#v.
func (a Auth) GoString() string { return a.String() }

// secrets returns the values that must be scrubbed from any text.
func (a Auth) secrets() scrubber {
	return scrubber{a.Token, a.Password, a.SSHKeyPassphrase}
}

// transportAuth builds go-git's auth for the endpoint. urlUser and
// urlPassword are the credentials that were removed from the URL; explicit
// Auth fields take precedence over them.
func (a Auth) transportAuth(ep *transport.Endpoint, urlUser, urlPassword string) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "http", "https":
		switch {
		case a.Token != "":
			user := a.Username
			if user == "" {
				user = tokenUser
			}
			return &githttp.BasicAuth{Username: user, Password: a.Token}, nil
		case a.Username != "" || a.Password != "":
			return &githttp.BasicAuth{Username: a.Username, Password: a.Password}, nil
		case urlUser != "" || urlPassword != "":
			return &githttp.BasicAuth{Username: urlUser, Password: urlPassword}, nil
		}
		return nil, nil
	case "ssh":
		return a.sshAuth(ep)
	}
	return nil, nil
}

func (a Auth) sshAuth(ep *transport.Endpoint) (transport.AuthMethod, error) {
	user := ep.User
	if user == "" {
		user = "git"
	}
	hostKeys, err := a.hostKeyHelper(ep)
	if err != nil {
		return nil, err
	}
	if a.SSHKeyFile != "" {
		keys, err := gitssh.NewPublicKeysFromFile(user, a.SSHKeyFile, a.SSHKeyPassphrase)
		if err != nil {
			return nil, fmt.Errorf("read ssh key %s (%s): %w; check the file and %s",
				a.SSHKeyFile, EnvSSHKey, a.secrets().wrap(err), EnvSSHKeyPassphrase)
		}
		keys.HostKeyCallbackHelper = hostKeys
		return keys, nil
	}
	if os.Getenv("SSH_AUTH_SOCK") == "" {
		return nil, fmt.Errorf("no ssh credentials: set %s to a private key file (or run an ssh agent)", EnvSSHKey)
	}
	agent, err := gitssh.NewSSHAgentAuth(user)
	if err != nil {
		return nil, fmt.Errorf("ssh agent: %w; set %s to a private key file instead", err, EnvSSHKey)
	}
	agent.HostKeyCallbackHelper = hostKeys
	return agent, nil
}

// hostKeyHelper checks the server's key against the known_hosts file and
// turns an unknown or changed key into an error that says what to do.
func (a Auth) hostKeyHelper(ep *transport.Endpoint) (gitssh.HostKeyCallbackHelper, error) {
	file := a.KnownHostsFile
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return gitssh.HostKeyCallbackHelper{}, fmt.Errorf("find known_hosts: %w; set %s", err, EnvKnownHosts)
		}
		file = filepath.Join(home, ".ssh", "known_hosts")
	}
	port := ep.Port
	if port <= 0 {
		port = 22
	}
	hostPort := net.JoinHostPort(ep.Host, fmt.Sprint(port))
	scan := fmt.Sprintf("ssh-keyscan -p %d %s >> %s", port, ep.Host, file)
	if _, err := os.Stat(file); err != nil {
		return gitssh.HostKeyCallbackHelper{}, fmt.Errorf(
			"ssh known_hosts file %s: %w; after checking the host's key fingerprint, create it with `%s` (or set %s)",
			file, err, scan, EnvKnownHosts)
	}
	db, err := knownhosts.NewDB(file)
	if err != nil {
		return gitssh.HostKeyCallbackHelper{}, fmt.Errorf("read ssh known_hosts file %s: %w", file, err)
	}
	check := db.HostKeyCallback()
	callback := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		switch {
		case err == nil:
			return nil
		case knownhosts.IsHostKeyChanged(err):
			return &HostKeyError{Host: hostPort, File: file, Changed: true, err: err,
				hint: "the host's key differs from the one recorded: this may be an attack; if the key really changed, remove the old line and add the new key after checking its fingerprint"}
		case knownhosts.IsHostUnknown(err):
			return &HostKeyError{Host: hostPort, File: file, err: err,
				hint: fmt.Sprintf("after checking the host's key fingerprint, add it with `%s`", scan)}
		}
		return err
	}
	return gitssh.HostKeyCallbackHelper{
		HostKeyCallback:   callback,
		HostKeyAlgorithms: db.HostKeyAlgorithms(hostPort),
	}, nil
}

// HostKeyError reports an ssh server whose key is not trusted.
type HostKeyError struct {
	Host    string // host:port
	File    string // the known_hosts file consulted
	Changed bool   // true: a different key is recorded; false: no key is recorded
	hint    string
	err     error
}

func (e *HostKeyError) Error() string {
	what := "is not in"
	if e.Changed {
		what = "does not match"
	}
	return fmt.Sprintf("ssh host key of %s %s %s: %s", e.Host, what, e.File, e.hint)
}

func (e *HostKeyError) Unwrap() error { return e.err }

// isAuthFailure reports whether err means the server refused the credentials.
func isAuthFailure(err error) bool {
	return errors.Is(err, transport.ErrAuthenticationRequired) ||
		errors.Is(err, transport.ErrAuthorizationFailed)
}
