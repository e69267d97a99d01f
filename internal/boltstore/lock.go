package boltstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/state"
)

// FileLock is a held environment lock. It is an flock on a file, so the
// kernel releases it when ferry dies, even by kill -9.
type FileLock struct{ f *os.File }

// Acquire takes env's lock in dir without waiting, or returns a
// *LockedError naming the holder.
func Acquire(dir, env string, h state.Holder) (*FileLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %q: %w", env, err)
	}
	path := filepath.Join(dir, env+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", env, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &state.LockedError{Env: env, Holder: readHolder(path)}
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

// readHolder reads the holder the lock file names; the holder writes it
// just after locking, so a racing reader retries briefly.
func readHolder(path string) state.Holder {
	var h state.Holder
	for range 20 {
		data, err := os.ReadFile(path)
		if err == nil && json.Unmarshal(data, &h) == nil && h.PID != 0 {
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
