package boltstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/state"
)

// FileLock is a held environment lock. It is an flock on a file, so the
// kernel releases it when ferry dies, even by kill -9.
type FileLock struct{ f *os.File }

// Acquire takes env's lock in dir without waiting, or returns a
// *LockedError naming the holder. The lock file may not be a link.
func Acquire(dir, env string, h state.Holder) (*FileLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock %q: %w", env, err)
	}
	r, err := confine.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", env, err)
	}
	defer r.Close()
	return acquire(r, "", dir, env, h)
}

// acquire takes env's lock, the file <env>.lock in the directory sub of
// r (shown as shown in refusals), which is made if missing.
func acquire(r *confine.Root, sub, shown, env string, h state.Holder) (*FileLock, error) {
	name := env + ".lock"
	if err := fileName(env, filepath.ToSlash(shown)+"/"+name); err != nil {
		return nil, err
	}
	if sub != "" {
		if err := r.OwnDir(sub, shown, "its locks"); err != nil {
			return nil, err
		}
	}
	f, err := plainFile(r, path.Join(sub, name), at(shown, name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", env, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &state.LockedError{Env: env, Holder: readHolder(f)}
		}
		return nil, fmt.Errorf("lock %q: %w", env, err)
	}
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.Since.IsZero() {
		h.Since = time.Now()
	}
	data, _ := json.Marshal(h)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt(data, 0)
	}
	return &FileLock{f: f}, nil
}

// readHolder reads the holder the lock file f names; the holder writes
// it just after locking, so a racing reader retries briefly.
func readHolder(f *os.File) state.Holder {
	var h state.Holder
	buf := make([]byte, 64<<10)
	for range 20 {
		n, _ := f.ReadAt(buf, 0)
		if n > 0 && json.Unmarshal(buf[:n], &h) == nil && h.PID != 0 {
			return h
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.Command = "another ferry"
	return h
}

// Release gives the lock up.
func (l *FileLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}
