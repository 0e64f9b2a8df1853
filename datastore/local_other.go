//go:build !unix

package datastore

import (
	"os"
	"path/filepath"
	"sync"
)

// openReadFlags open a blob for reading (these systems have no FIFOs in
// the file system to block an open).
const openReadFlags = os.O_RDONLY

// lockDir on systems without flock serializes writers of this process only.
func lockDir(root *os.Root, dir string) (func(), error) {
	v, _ := dirLocks.LoadOrStore(filepath.Join(root.Name(), dir), &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock, nil
}

var dirLocks sync.Map

func inodeOf(fi os.FileInfo) uint64 { return 0 }
