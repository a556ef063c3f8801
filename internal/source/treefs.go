package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// maxSymlinkHops bounds symlink resolution, as the kernel's ELOOP does.
const maxSymlinkHops = 40

// treeFS is a read-only fs.FS over one Git tree object.
//
// Symbolic links are followed by Open, Stat, ReadFile and ReadDir as os.DirFS
// would, as long as their target stays inside the tree; fs.WalkDir sees them
// as links (ModeSymlink) and does not descend into them. Submodules appear as
// empty directories. Every file reports modTime (the commit's time).
//
// A treeFS is safe for concurrent use: go-git's object storage is not, so all
// access to it is serialised by mu. A file's content is read whole when it is
// opened.
type treeFS struct {
	mu      *sync.Mutex
	objects storer.EncodedObjectStorer
	root    *object.Tree
	modTime time.Time
	trees   map[plumbing.Hash]*object.Tree // decoded trees, guarded by mu
}

var (
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

func newTreeFS(objects storer.EncodedObjectStorer, root *object.Tree, modTime time.Time) *treeFS {
	return &treeFS{mu: &sync.Mutex{}, objects: objects, root: root, modTime: modTime,
		trees: map[plumbing.Hash]*object.Tree{root.Hash: root}}
}

// tree returns the tree object h, decoding it once. Callers hold f.mu.
func (f *treeFS) tree(h plumbing.Hash) (*object.Tree, error) {
	if t, ok := f.trees[h]; ok {
		return t, nil
	}
	t, err := object.GetTree(f.objects, h)
	if err != nil {
		return nil, err
	}
	f.trees[h] = t
	return t, nil
}

// node is a resolved path: a tree entry, or the root.
type node struct {
	name string // base name; "." for the root
	mode filemode.FileMode
	hash plumbing.Hash
}

func (n node) isDir() bool { return n.mode == filemode.Dir || n.mode == filemode.Submodule }

var errLoop = errors.New("too many levels of symbolic links")

// lookup resolves name; it follows a symlink in the last element only when
// followLast is set. Callers hold f.mu.
func (f *treeFS) lookup(op, name string, followLast bool) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	rootNode := node{name: ".", mode: filemode.Dir, hash: f.root.Hash}
	if name == "." {
		return rootNode, nil
	}
	parts := strings.Split(name, "/")
	hops := 0
restart:
	cur := f.root
	for i, part := range parts {
		e, err := cur.FindEntry(part)
		if err != nil {
			return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		last := i == len(parts)-1
		if e.Mode == filemode.Symlink && (!last || followLast) {
			if hops++; hops > maxSymlinkHops {
				return node{}, &fs.PathError{Op: op, Path: name, Err: errLoop}
			}
			target, err := f.blob(e.Hash)
			if err != nil {
				return node{}, &fs.PathError{Op: op, Path: name, Err: err}
			}
			next, ok := joinLink(parts[:i], string(target), parts[i+1:])
			if !ok {
				return node{}, &fs.PathError{Op: op, Path: name,
					Err: fmt.Errorf("symbolic link %s -> %s leaves the repository: %w", path.Join(parts[:i+1]...), target, fs.ErrNotExist)}
			}
			if next == "." {
				rootNode.name = path.Base(name)
				return rootNode, nil
			}
			parts = strings.Split(next, "/")
			goto restart
		}
		if last {
			// A followed link keeps the name it was opened by, as with os.Stat.
			return node{name: path.Base(name), mode: e.Mode, hash: e.Hash}, nil
		}
		if e.Mode != filemode.Dir {
			return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if cur, err = f.tree(e.Hash); err != nil {
			return node{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
	}
	return rootNode, nil // unreachable: parts is never empty
}

// joinLink returns the path that dir/target/rest names, cleaned, and false
// when it is absolute or climbs out of the root.
func joinLink(dir []string, target string, rest []string) (string, bool) {
	if path.IsAbs(target) {
		return "", false
	}
	p := path.Join(path.Join(dir...), target, path.Join(rest...))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// blob returns a blob's content. Callers hold f.mu.
func (f *treeFS) blob(h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(f.objects, h)
	if err != nil {
		return nil, err
	}
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// size returns a blob's size without reading it. Callers hold f.mu.
func (f *treeFS) size(n node) int64 {
	if n.isDir() {
		return 0
	}
	o, err := f.objects.EncodedObject(plumbing.BlobObject, n.hash)
	if err != nil {
		return 0
	}
	return o.Size()
}

// entries lists a directory node, sorted by name. Callers hold f.mu.
func (f *treeFS) entries(n node) ([]fs.DirEntry, error) {
	if n.mode == filemode.Submodule {
		return nil, nil
	}
	t, err := f.tree(n.hash)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, 0, len(t.Entries))
	for _, e := range t.Entries {
		out = append(out, &dirEntry{fsys: f, n: node{name: e.Name, mode: e.Mode, hash: e.Hash}})
	}
	// Git orders a directory "a" as "a/", so tree order is not fs order.
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// Open implements fs.FS.
func (f *treeFS) Open(name string) (fs.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	info := f.info(n)
	if n.isDir() {
		entries, err := f.entries(n)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &dirFile{info: info, entries: entries}, nil
	}
	data, err := f.blob(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &blobFile{info: info, Reader: bytes.NewReader(data)}, nil
}

// ReadFile implements fs.ReadFileFS.
func (f *treeFS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("readfile", name, true)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errIsDir}
	}
	data, err := f.blob(n.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return data, nil
}

var errIsDir = errors.New("is a directory")

// ReadDir implements fs.ReadDirFS.
func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	entries, err := f.entries(n)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return entries, nil
}

// Stat implements fs.StatFS.
func (f *treeFS) Stat(name string) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return f.info(n), nil
}

// Lstat implements fs.ReadLinkFS: it describes a symbolic link itself.
func (f *treeFS) Lstat(name string) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return f.info(n), nil
}

// ReadLink implements fs.ReadLinkFS.
func (f *treeFS) ReadLink(name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	target, err := f.blob(n.hash)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(target), nil
}

// info describes n. Callers hold f.mu.
func (f *treeFS) info(n node) *fileInfo {
	return &fileInfo{n: n, size: f.size(n), modTime: f.modTime}
}

type fileInfo struct {
	n       node
	size    int64
	modTime time.Time
}

func (i *fileInfo) Name() string       { return i.n.name }
func (i *fileInfo) Size() int64        { return i.size }
func (i *fileInfo) ModTime() time.Time { return i.modTime }
func (i *fileInfo) IsDir() bool        { return i.n.isDir() }
func (i *fileInfo) Sys() any           { return nil }
func (i *fileInfo) Mode() fs.FileMode {
	switch i.n.mode {
	case filemode.Dir, filemode.Submodule:
		return fs.ModeDir | 0o555
	case filemode.Symlink:
		return fs.ModeSymlink | 0o777
	case filemode.Executable:
		return 0o555
	}
	return 0o444
}

type dirEntry struct {
	fsys *treeFS
	n    node
}

func (d *dirEntry) Name() string      { return d.n.name }
func (d *dirEntry) IsDir() bool       { return d.n.isDir() }
func (d *dirEntry) Type() fs.FileMode { return (&fileInfo{n: d.n}).Mode().Type() }
func (d *dirEntry) Info() (fs.FileInfo, error) {
	d.fsys.mu.Lock()
	defer d.fsys.mu.Unlock()
	return d.fsys.info(d.n), nil
}
func (d *dirEntry) String() string { return fs.FormatDirEntry(d) }

// blobFile is an open regular file (or an unfollowed symlink's target text).
type blobFile struct {
	info *fileInfo
	*bytes.Reader
}

func (b *blobFile) Stat() (fs.FileInfo, error) { return b.info, nil }
func (b *blobFile) Close() error               { return nil }

// dirFile is an open directory.
type dirFile struct {
	info    *fileInfo
	entries []fs.DirEntry
	offset  int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errIsDir}
}

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.offset:]
	if n <= 0 {
		d.offset = len(d.entries)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.offset += n
	return slices.Clone(rest[:n]), nil
}
