package fleet

import (
	"bytes"
	"io/fs"
	"sync"
)

// DefaultShareBytes bounds the content files a Share holds: beyond it,
// each instance reads the rest from the snapshot itself.
const DefaultShareBytes = 64 << 20

// maxSharedFile is the largest file a Share holds (the loader reads no
// larger: load.MaxFileBytes); a larger one is read per instance, as before.
const maxSharedFile = 10 << 20

// Share returns the snapshot fsys for FS to give many instances: each
// content file (dashboards/, datasources/, alerting/) is read from fsys
// once, not once per instance, and a file without ${fleet.KEY} is handed
// to every instance as the same bytes (FS expands the others per
// instance). The files held add up to at most maxBytes (0:
// DefaultShareBytes); the rest are read per instance.
//
// Invariants: the bytes held are never written (readers get a reader over
// them, never the slice); what is not a regular file, or could not be
// read, is not held, so every error is the snapshot's own, met again by
// the instance that reads it; other files and directories pass through.
func Share(fsys fs.FS, maxBytes int64) fs.FS {
	if maxBytes <= 0 {
		maxBytes = DefaultShareBytes
	}
	return &sharedFS{base: fsys, max: maxBytes, files: map[string]*sharedFile{}}
}

type sharedFS struct {
	base fs.FS
	max  int64

	mu    sync.Mutex
	size  int64
	files map[string]*sharedFile
}

type sharedFile struct {
	once sync.Once
	held bool // data and info are set
	data []byte
	info fs.FileInfo
	vars bool // data holds a ${fleet.KEY} (or $${fleet.KEY}) to expand
}

func (s *sharedFS) Open(name string) (fs.File, error) { return s.base.Open(name) }

func (s *sharedFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(s.base, name) }

func (s *sharedFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(s.base, name) }

// file is name held (read on first use); nil when it is not held.
func (s *sharedFS) file(name string) *sharedFile {
	s.mu.Lock()
	f := s.files[name]
	if f == nil {
		f = &sharedFile{}
		s.files[name] = f
	}
	s.mu.Unlock()
	f.once.Do(func() { s.read(name, f) })
	if !f.held {
		return nil
	}
	return f
}

func (s *sharedFS) read(name string, f *sharedFile) {
	// Stat before opening: opening a named pipe blocks.
	st, err := fs.Stat(s.base, name)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxSharedFile {
		return
	}
	s.mu.Lock()
	room := s.size+st.Size() <= s.max
	if room {
		s.size += st.Size()
	}
	s.mu.Unlock()
	if !room {
		return
	}
	data, err := readAtMost(s.base, name, maxSharedFile)
	if err != nil {
		s.mu.Lock()
		s.size -= st.Size()
		s.mu.Unlock()
		return
	}
	s.mu.Lock()
	s.size += int64(len(data)) - st.Size() // it may have changed since Stat
	s.mu.Unlock()
	f.data, f.info, f.held = data, st, true
	f.vars = bytes.Contains(data, []byte("{fleet."))
}

// sharedBytes is file name of fsys when fsys is a Share holding it. The
// bytes are the Share's: never write them.
func sharedBytes(fsys fs.FS, name string) ([]byte, bool) {
	s, ok := fsys.(*sharedFS)
	if !ok {
		return nil, false
	}
	if f := s.file(name); f != nil {
		return f.data, true
	}
	return nil, false
}

// open is the held file name as an instance with vars sees it; held is
// false when the file is not held (the caller reads it itself).
func (s *sharedFS) open(name string, vars map[string]string) (file fs.File, held bool, err error) {
	f := s.file(name)
	if f == nil {
		return nil, false, nil
	}
	data := f.data
	if f.vars {
		if data, _, err = Expand(name, data, vars); err != nil {
			return nil, true, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	return &memFile{Reader: bytes.NewReader(data), info: sizedInfo{f.info, int64(len(data))}}, true, nil
}
