//go:build !unix

package datastore

import (
	"os"
	"sync"
)

// lockDir on systems without flock serializes writers of this process only.
func lockDir(dir string) (func(), error) {
	v, _ := dirLocks.LoadOrStore(dir, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock, nil
}

var dirLocks sync.Map

func inodeOf(fi os.FileInfo) uint64 { return 0 }
