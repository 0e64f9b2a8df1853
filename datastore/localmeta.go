package datastore

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// sidecar is the JSON kept in ".<file>.dsmeta" next to a local blob.
type sidecar struct {
	ETag        ETag              `json:"etag"`
	ContentType string            `json:"content_type,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	// The identity of the file this sidecar describes.
	Inode   uint64 `json:"inode"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
}

func (s *sidecar) setFile(fi os.FileInfo) {
	s.Inode, s.Size, s.ModTime = inodeOf(fi), fi.Size(), fi.ModTime().UnixNano()
}

func (s sidecar) matches(fi os.FileInfo) bool {
	return s.Inode == inodeOf(fi) && s.Size == fi.Size() && s.ModTime == fi.ModTime().UnixNano()
}

func writeSidecar(root *os.Root, p string, s sidecar) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return root.WriteFile(p, b, 0o644)
}

// readSidecar reads a sidecar beneath root: a regular file of at most
// maxSidecar bytes, opened without blocking.
func readSidecar(root *os.Root, p string) ([]byte, error) {
	f, err := root.OpenFile(p, openReadFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("sidecar %s is not a regular file", p)
	}
	return io.ReadAll(io.LimitReader(f, maxSidecar))
}

// currentSidecar returns the sidecar of the file at p (beneath root) whose
// stat is fi, or, when it is missing or describes another file, one with a
// derived ETag.
func currentSidecar(root *os.Root, p string, fi os.FileInfo) sidecar {
	if b, err := readSidecar(root, sidecarPath(p)); err == nil {
		var s sidecar
		if json.Unmarshal(b, &s) == nil && s.matches(fi) {
			return s
		}
	}
	s := sidecar{}
	s.setFile(fi)
	s.ETag = ETag(fmt.Sprintf("f-%x-%x-%x", s.Inode, s.Size, s.ModTime))
	return s
}

func infoOf(name string, root *os.Root, p string, fi os.FileInfo) Info {
	s := currentSidecar(root, p, fi)
	md := map[string]string{}
	for k, v := range s.Metadata {
		md[k] = v
	}
	return Info{Name: name, Size: fi.Size(), ETag: s.ETag, ContentType: s.ContentType,
		Metadata: md, LastModified: fi.ModTime()}
}
