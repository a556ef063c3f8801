package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	pathpkg "path"
	"regexp"
	"strings"
	"time"

	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
)

// VarRe is the per-instance value syntax: ${fleet.KEY}. Grafana reads
// ${name.path} as a variable's field, so the prefix "fleet" is reserved in
// a fleet repository; $${fleet.KEY} writes a literal ${fleet.KEY}.
var VarRe = regexp.MustCompile(`\$?\$\{fleet\.([A-Za-z0-9_]*)\}`)

// expands reports whether grafsync expands ${fleet.KEY} in a file: every
// file grafsync reads as content (not grafsync.yaml itself, whose
// instances hold the values).
func expands(name string) bool {
	if name == ConfigFile {
		return false
	}
	dirs := strings.Split(name, "/")
	for _, d := range dirs[:len(dirs)-1] {
		if d == "dashboards" || d == "datasources" || d == "alerting" {
			return true
		}
	}
	return false
}

// MaxExpandedBytes is the largest a content file may be once ${fleet.KEY}
// is expanded: the size grafsync reads from any file. Each reference is a
// copy of a value, so the expansion stops there rather than hold a file
// many times the size of what is written.
const MaxExpandedBytes = load.MaxFileBytes

// maxMissing is how many missing values Expand lists for one file.
const maxMissing = 100

// TooLargeError is a content file that expands past MaxExpandedBytes.
type TooLargeError struct {
	File string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: its ${fleet.KEY} values make it more than %d bytes, the most grafsync reads from one file", e.File, MaxExpandedBytes)
}

// Expand replaces ${fleet.KEY} in data with in.Vars[KEY]; in a .json file
// the value is escaped as JSON string content (it lands inside a string).
// missing lists the positions of (at most maxMissing) keys the instance has
// no value for. Expansion stops with a *TooLargeError once the result
// passes MaxExpandedBytes; the work is linear in data and the result.
func Expand(name string, data []byte, vars map[string]string) (out []byte, missing []Missing, err error) {
	if !bytes.Contains(data, []byte("{fleet.")) {
		return data, nil, nil
	}
	jsonFile := strings.HasSuffix(name, ".json")
	var b bytes.Buffer
	last := 0
	// line and lineStart follow the matches, so positions cost one pass.
	line, lineStart, counted := 1, 0, 0
	for _, m := range VarRe.FindAllSubmatchIndex(data, -1) {
		b.Write(data[last:m[0]])
		last = m[1]
		whole := data[m[0]:m[1]]
		if whole[1] == '$' { // $${fleet.KEY}: a literal
			b.Write(whole[1:])
			continue
		}
		key := string(data[m[2]:m[3]])
		v, ok := vars[key]
		if !ok {
			if len(missing) < maxMissing {
				for i := bytes.IndexByte(data[counted:m[0]], '\n'); i >= 0; i = bytes.IndexByte(data[counted:m[0]], '\n') {
					line, lineStart, counted = line+1, counted+i+1, counted+i+1
				}
				counted = m[0]
				missing = append(missing, Missing{Key: key, Pos: resource.Pos{File: name, Line: line, Col: m[0] - lineStart + 1}})
			}
			continue
		}
		if jsonFile {
			q, _ := json.Marshal(v)
			v = string(q[1 : len(q)-1])
		}
		if b.Len()+len(v) > MaxExpandedBytes {
			return nil, missing, &TooLargeError{File: name}
		}
		b.WriteString(v)
	}
	b.Write(data[last:])
	if b.Len() > MaxExpandedBytes {
		return nil, missing, &TooLargeError{File: name}
	}
	return b.Bytes(), missing, nil
}

// Missing is a ${fleet.KEY} an instance has no value for.
type Missing struct {
	Key string
	Pos resource.Pos
}

// Problems turns missing values into problems naming the instance.
func (in Instance) Problems(missing []Missing) problem.List {
	var out problem.List
	for _, m := range missing {
		out = append(out, problem.Errorf(m.Pos, fmt.Sprintf("add %s to vars of instance %q (%s), or write $${fleet.%s} for a literal", m.Key, in.Name, in.Source, m.Key),
			"instance %s: ${fleet.%s} has no value", in.Name, m.Key))
	}
	return out
}

// Check expands every content file of fsys for in and returns the
// positions of ${fleet.KEY} that in has no value for, and the files that
// expand past MaxExpandedBytes. Files internal/load refuses (not regular,
// too large) are left to it.
func (fl *Fleet) Check(fsys fs.FS, in Instance) problem.List {
	ifs := fl.FS(fsys, in)
	var out problem.List
	_ = fs.WalkDir(ifs, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !expands(p) {
			return nil
		}
		data, held := sharedBytes(fsys, p) // read-only: Expand copies what it changes
		if !held {
			var ok bool
			if data, ok = readContent(fsys, p); !ok {
				return nil // internal/load reports it
			}
		}
		_, missing, err := Expand(p, data, in.Vars)
		out = append(out, in.Problems(missing)...)
		if err != nil {
			out = append(out, problem.Errorf(resource.Pos{File: p}, fmt.Sprintf("each ${fleet.KEY} is a copy of instance %q's value (%s); reference long values less often", in.Name, in.Source),
				"instance %s: %v", in.Name, err))
		}
		return nil
	})
	return out
}

// readContent reads a content file to expand it: a regular file of at most
// load.MaxFileBytes (following a link inside the repository), else ok is
// false and the caller hands the file to internal/load unread, which
// refuses it with its reason (a named pipe would block a read).
func readContent(fsys fs.FS, name string) (data []byte, ok bool) {
	data, err := readBounded(fsys, name, load.MaxFileBytes)
	return data, err == nil
}

// FS is the repository as instance in sees it: ${fleet.KEY} expanded in
// content files, and paths instanceContent gives to other labels absent.
// An unknown key expands to "" here; Check reports it.
func (fl *Fleet) FS(fsys fs.FS, in Instance) fs.FS {
	var hidden []string
	for _, c := range fl.Content {
		if !Matches(in.Labels, c.Selector) {
			hidden = append(hidden, c.Path)
		}
	}
	return &instanceFS{base: fsys, vars: in.Vars, hidden: hidden}
}

type instanceFS struct {
	base   fs.FS
	vars   map[string]string
	hidden []string
}

func (f *instanceFS) isHidden(name string) bool {
	for _, h := range f.hidden {
		if name == h || strings.HasPrefix(name, h+"/") {
			return true
		}
	}
	return false
}

func (f *instanceFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if f.isHidden(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if s, ok := f.base.(*sharedFS); ok && expands(name) {
		if file, held, err := s.open(name, f.vars); held {
			return file, err
		}
	}
	if expands(name) {
		// Stat before opening: opening a named pipe blocks.
		st, err := fs.Stat(f.base, name)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() && !st.Mode().IsRegular() {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%s, not a regular file", load.DescribeMode(st.Mode()))}
		}
		// A file too large is opened as it is: internal/load refuses it
		// from its Stat without reading.
		if st.Mode().IsRegular() && st.Size() <= load.MaxFileBytes {
			data, err := readAtMost(f.base, name, load.MaxFileBytes)
			if err != nil {
				return nil, err
			}
			out, _, err := Expand(name, data, f.vars)
			if err != nil {
				return nil, &fs.PathError{Op: "open", Path: name, Err: err}
			}
			return &memFile{Reader: bytes.NewReader(out), info: sizedInfo{st, int64(len(out))}}, nil
		}
	}
	file, err := f.base.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	if st.IsDir() {
		return &dirFile{File: file, fsys: f, name: name}, nil
	}
	return file, nil
}

// ReadOnly is load.ReadOnlyFS's, for a file the Share holds: without
// ${fleet.KEY} it is the Share's bytes, shared by every instance (the
// loader never writes them); with, the instance's expansion.
func (f *instanceFS) ReadOnly(name string) ([]byte, bool) {
	s, ok := f.base.(*sharedFS)
	if !ok || !fs.ValidPath(name) || f.isHidden(name) || !expands(name) {
		return nil, false
	}
	sf := s.file(name)
	if sf == nil {
		return nil, false
	}
	if sf.vars {
		data, _, err := Expand(name, sf.data, f.vars)
		if err != nil {
			return nil, false // Open reports it
		}
		return data, true
	}
	return sf.data, true
}

// ReadFile avoids a copy through Open for the common read.
func (f *instanceFS) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return io.ReadAll(file)
}

// Stat keeps a hidden path hidden and an expanded file's size right. It
// opens only what it expands: a named pipe is stat'ed, never opened.
func (f *instanceFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if f.isHidden(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	st, err := fs.Stat(f.base, name)
	if err != nil || !expands(name) || !st.Mode().IsRegular() || st.Size() > load.MaxFileBytes {
		return st, err
	}
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return file.Stat()
}

// ReadDir lists a directory without its hidden entries.
func (f *instanceFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if f.isHidden(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	es, err := fs.ReadDir(f.base, name)
	if err != nil {
		return nil, err
	}
	out := es[:0:0]
	for _, e := range es {
		p := pathpkg.Join(name, e.Name())
		switch {
		case f.isHidden(p):
		case !e.IsDir() && expands(p):
			out = append(out, entry{DirEntry: e, fsys: f, name: p})
		default:
			out = append(out, e)
		}
	}
	return out, nil
}

type dirFile struct {
	fs.File
	fsys    *instanceFS
	name    string
	entries []fs.DirEntry
	read    bool
}

// ReadDir pages through the visible entries as fs.ReadDirFile requires.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		es, err := d.fsys.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.read = es, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(d.entries))
	out := d.entries[:k]
	d.entries = d.entries[k:]
	return out, nil
}

// entry reports an expanded file's size as its Stat does.
type entry struct {
	fs.DirEntry
	fsys *instanceFS
	name string
}

func (e entry) Info() (fs.FileInfo, error) { return e.fsys.Stat(e.name) }

type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m.info, nil }
func (m *memFile) Close() error               { return nil }

type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (s sizedInfo) Size() int64        { return s.size }
func (s sizedInfo) ModTime() time.Time { return s.FileInfo.ModTime() }
