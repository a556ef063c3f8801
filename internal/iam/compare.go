package iam

import (
	"bytes"
	"path"
	"slices"
	"strings"
)

// Changes is what writing the rendered files would change on disk. Paths are
// relative to GeneratedDir.
type Changes struct {
	Missing   []string // rendered, not on disk
	Stale     []string // on disk with other content
	Extra     []string // on disk in a format directory, not rendered
	Unchanged []string
}

// Empty reports whether the files on disk are current.
func (c Changes) Empty() bool { return len(c.Missing)+len(c.Stale)+len(c.Extra) == 0 }

// Owned reports whether grafsync owns a file path (relative to GeneratedDir)
// for the given formats: it sits directly in a format's directory and has that
// format's extension. Only owned files are ever reported as extra or removed.
func Owned(p string, formats []Format) bool {
	dir, name := path.Split(p)
	ext := map[Format]string{JSON: ".json", Terraform: ".tf", CloudFormation: ".yaml"}
	for _, f := range formats {
		if dir == string(f)+"/" && strings.HasSuffix(name, ext[f]) {
			return true
		}
	}
	return false
}

// Compare pairs the rendered files with what is on disk (path -> content,
// owned files only). The result lists are sorted.
func Compare(want []File, onDisk map[string][]byte) Changes {
	var c Changes
	rendered := map[string]bool{}
	for _, f := range want {
		rendered[f.Path] = true
		got, ok := onDisk[f.Path]
		switch {
		case !ok:
			c.Missing = append(c.Missing, f.Path)
		case !bytes.Equal(got, f.Data):
			c.Stale = append(c.Stale, f.Path)
		default:
			c.Unchanged = append(c.Unchanged, f.Path)
		}
	}
	for p := range onDisk {
		if !rendered[p] {
			c.Extra = append(c.Extra, p)
		}
	}
	for _, l := range [][]string{c.Missing, c.Stale, c.Extra, c.Unchanged} {
		slices.Sort(l)
	}
	return c
}
