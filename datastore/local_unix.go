//go:build unix

package datastore

import (
	"os"
	"path/filepath"
	"syscall"
)

// openReadFlags open a blob for reading without blocking on a FIFO that
// slipped in after the Stat.
const openReadFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY

// lockDir takes an exclusive flock on dir/.dslock beneath root, waiting
// for it. The lock file is never removed: removing it would let two
// processes hold locks on different inodes.
func lockDir(root *os.Root, dir string) (func(), error) {
	f, err := root.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func inodeOf(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
