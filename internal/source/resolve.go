package source

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// minAbbrev is the shortest abbreviated commit hash accepted, as in git.
const minAbbrev = 4

// RefNotFoundError reports a --ref that names no branch, tag or commit.
type RefNotFoundError struct {
	Repo     string // redacted
	Ref      string
	Branches []string // some of the branches that do exist
	Tags     []string // some of the tags that do exist
	Hint     string   // why a commit hash was not found, if known
}

func (e *RefNotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ref %q not found in %s: it is not a branch, a tag or a commit hash", e.Ref, e.Repo)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	b.WriteString("; branches: " + listSome(e.Branches))
	b.WriteString("; tags: " + listSome(e.Tags))
	fmt.Fprintf(&b, "; list them all with `git ls-remote --heads --tags %s`", e.Repo)
	return b.String()
}

// AmbiguousRefError reports an abbreviated hash that matches several commits.
type AmbiguousRefError struct {
	Repo       string // redacted
	Ref        string
	Candidates []string
}

func (e *AmbiguousRefError) Error() string {
	return fmt.Sprintf("ref %q is ambiguous in %s: it abbreviates %s; give more hex digits",
		e.Ref, e.Repo, strings.Join(e.Candidates, ", "))
}

func listSome(names []string) string {
	const most = 10
	if len(names) == 0 {
		return "(none)"
	}
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}

// resolveRef finds the commit that ref names in repo. Like git, a full
// 40-digit hash is a hash, a name that is a branch or tag is that ref
// (branches first), and only then is a short hex string taken as an
// abbreviated hash. Revision suffixes (main~2, v1.0^) are understood too.
// origin is the redacted repository name for errors.
func resolveRef(repo *git.Repository, origin, ref string) (*object.Commit, error) {
	if len(ref) == 2*len(plumbing.ZeroHash) && isHex(ref) {
		c, err := peel(repo, plumbing.NewHash(ref))
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, notFound(repo, origin, ref)
		}
		return c, err
	}
	names := []string{"refs/heads/" + ref, "refs/tags/" + ref, "refs/remotes/" + ref}
	if strings.HasPrefix(ref, "refs/") {
		names = []string{ref}
	}
	for _, name := range names {
		r, err := repo.Reference(plumbing.ReferenceName(name), true)
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s in %s: %w", name, origin, err)
		}
		c, err := peel(repo, r.Hash())
		if err != nil {
			return nil, fmt.Errorf("ref %s in %s: %w", name, origin, err)
		}
		return c, nil
	}
	if len(ref) >= minAbbrev && isHex(ref) {
		commits, err := commitsWithPrefix(repo, strings.ToLower(ref))
		if err != nil {
			return nil, fmt.Errorf("look up %q in %s: %w", ref, origin, err)
		}
		switch len(commits) {
		case 0:
		case 1:
			return commits[0], nil
		default:
			e := &AmbiguousRefError{Repo: origin, Ref: ref}
			for _, c := range commits {
				e.Candidates = append(e.Candidates, c.Hash.String())
			}
			return nil, e
		}
	}
	if strings.ContainsAny(ref, "~^") {
		if h, err := repo.ResolveRevision(plumbing.Revision(ref)); err == nil {
			return peel(repo, *h)
		}
	}
	return nil, notFound(repo, origin, ref)
}

// peel returns the commit that h names, directly or through annotated tags.
func peel(repo *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	for range 10 {
		c, err := repo.CommitObject(h)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, err
		}
		t, terr := repo.TagObject(h)
		if terr != nil {
			return nil, err
		}
		if t.TargetType != plumbing.CommitObject && t.TargetType != plumbing.TagObject {
			return nil, fmt.Errorf("tag %s points to a %s, not a commit", t.Name, t.TargetType)
		}
		h = t.Target
	}
	return nil, fmt.Errorf("tag chain at %s is too long", h)
}

// commitsWithPrefix returns the commits (or commits of annotated tags) whose
// hash starts with the lower-case hex prefix.
func commitsWithPrefix(repo *git.Repository, prefix string) ([]*object.Commit, error) {
	type prefixLister interface {
		HashesWithPrefix(prefix []byte) ([]plumbing.Hash, error)
	}
	even, err := hex.DecodeString(prefix[:len(prefix)&^1])
	if err != nil {
		return nil, err
	}
	var hashes []plumbing.Hash
	if pl, ok := repo.Storer.(prefixLister); ok {
		if hashes, err = pl.HashesWithPrefix(even); err != nil {
			return nil, err
		}
	} else {
		iter, err := repo.Storer.IterEncodedObjects(plumbing.AnyObject)
		if err != nil {
			return nil, err
		}
		err = iter.ForEach(func(o plumbing.EncodedObject) error {
			hashes = append(hashes, o.Hash())
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var out []*object.Commit
	seen := map[plumbing.Hash]bool{}
	for _, h := range hashes {
		if !strings.HasPrefix(h.String(), prefix) || seen[h] {
			continue
		}
		seen[h] = true
		if c, err := peel(repo, h); err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

func notFound(repo *git.Repository, origin, ref string) error {
	e := &RefNotFoundError{Repo: origin, Ref: ref}
	if iter, err := repo.References(); err == nil {
		_ = iter.ForEach(func(r *plumbing.Reference) error {
			switch n := r.Name(); {
			case n.IsBranch():
				e.Branches = append(e.Branches, n.Short())
			case n.IsRemote() && !strings.HasSuffix(n.String(), "/HEAD"):
				e.Branches = append(e.Branches, n.Short())
			case n.IsTag():
				e.Tags = append(e.Tags, n.Short())
			}
			return nil
		})
	}
	slices.Sort(e.Branches)
	slices.Sort(e.Tags)
	return e
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
