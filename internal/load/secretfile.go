package load

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MaxSecretFileBytes caps what one $__file{} reference reads: a password, a
// token, a certificate or a CA bundle (the Debian one is about 220 KB) fits.
const MaxSecretFileBytes = 1 << 20

// ErrRefusedFile marks a $__file{} path grafsync never reads, whatever
// --secrets-dir says: a pull request that points a datasource at it would
// otherwise print the runner's process state or credentials in its plan, or
// send them to a server of its choosing.
var ErrRefusedFile = errors.New("grafsync never reads it")

// errOutsideSecretsDirs is returned for a path outside every secrets
// directory: it is treated as a missing file (a warning for validate and
// plan, an error for apply), not read.
var errOutsideSecretsDirs = errors.New("it is not inside a --secrets-dir")

// refusedRoots are host trees that hold process state, devices or kernel
// settings, never a secret meant for a datasource: /proc/self/environ holds
// the runner's whole environment, /dev/zero never ends.
var refusedRoots = []string{"/proc", "/sys", "/dev"}

// refusedParts are path elements whose files hold credentials of the host or
// the runner: any Git directory (actions/checkout writes the job's token into
// .git/config) and the service-account tokens Kubernetes and EKS mount.
var refusedParts = []string{".git", "kubernetes.io", "eks.amazonaws.com", "eks-pod-identity-token"}

// SecretFiles is what $__file{path} may read: regular files of at most
// MaxSecretFileBytes inside one of Dirs, never under /proc, /sys or /dev,
// never inside a .git directory, a Kubernetes or EKS service-account mount
// or one of Refused, after symbolic links are resolved.
type SecretFiles struct {
	// Dirs are the directories secrets are mounted in (--secrets-dir). With
	// none, $__file{} reads nothing.
	Dirs []string
	// Refused are further files or directories never read, whatever Dirs
	// say: grafsync's Git cache, files holding the runner's own tokens.
	Refused []string
}

// ReadFile reads a $__file{} reference. Errors wrap ErrRefusedFile for a
// path that is never read, and say which rule refused it.
func (s SecretFiles) ReadFile(name string) ([]byte, error) {
	if !filepath.IsAbs(name) {
		return nil, fmt.Errorf("%w: write an absolute path", ErrRefusedFile)
	}
	clean := filepath.Clean(name)
	if err := s.refused(clean); err != nil {
		return nil, err
	}
	// A path that does not resolve is matched as written: inside a
	// secrets directory it is then missing, outside one it is not read.
	real := clean
	if r, err := filepath.EvalSymlinks(clean); err == nil && r != clean {
		if err := s.refused(r); err != nil {
			return nil, fmt.Errorf("it is a symbolic link to %s: %w", r, err)
		}
		real = r
	}
	for _, dir := range s.Dirs {
		for _, d := range dirForms(dir) {
			rel, ok := within(d, clean)
			if !ok {
				rel, ok = within(d, real)
			}
			if ok {
				return readInRoot(d, rel)
			}
		}
	}
	if len(s.Dirs) == 0 {
		return nil, fmt.Errorf("%w (none is set; pass --secrets-dir or set GRAFSYNC_SECRETS_DIR to the directory secrets are mounted in)", errOutsideSecretsDirs)
	}
	return nil, fmt.Errorf("%w (%s)", errOutsideSecretsDirs, strings.Join(s.Dirs, ", "))
}

// refused checks an absolute, clean path against the rules that hold
// whatever the secrets directories are.
func (s SecretFiles) refused(p string) error {
	for _, r := range refusedRoots {
		if _, ok := within(r, p); ok {
			return fmt.Errorf("%w: nothing under %s is a secret for Grafana", ErrRefusedFile, r)
		}
	}
	for _, part := range strings.Split(p, string(filepath.Separator)) {
		if slices.Contains(refusedParts, part) {
			return fmt.Errorf("%w: files under %s hold the host's or the runner's own credentials", ErrRefusedFile, part)
		}
	}
	for _, r := range s.Refused {
		for _, d := range dirForms(r) {
			if _, ok := within(d, p); ok {
				return fmt.Errorf("%w: it is grafsync's own (%s)", ErrRefusedFile, r)
			}
		}
	}
	return nil
}

// dirForms returns dir as given (made absolute) and with its symbolic links
// resolved, so /var/run/secrets matches /run/secrets/x and the reverse.
func dirForms(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	forms := []string{abs}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		forms = append(forms, real)
	}
	return forms
}

// within returns p relative to dir when p is dir or below it.
func within(dir, p string) (string, bool) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}

// readInRoot reads dir/rel through an os.Root, so a symbolic link below dir
// cannot lead out of it (Kubernetes secret mounts link inside the mount).
func readInRoot(dir, rel string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	// Stat before opening: opening a FIFO would block until a writer came.
	fi, err := root.Stat(rel)
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: it is not a regular file", ErrRefusedFile)
	}
	f, err := root.Open(rel)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: it is not a regular file", ErrRefusedFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSecretFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSecretFileBytes {
		return nil, fmt.Errorf("%w: it is larger than %d bytes", ErrRefusedFile, MaxSecretFileBytes)
	}
	return data, nil
}

// unwrapPath drops the *PathError wrapper: messages name the path already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
