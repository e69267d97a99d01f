package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrydev/ferry/internal/confine"
)

// Hasher fingerprints secret values so that two of them can be compared
// (did the password change between revisions?) without keeping them.
// It is keyed per project: a bare sha256 of a low-entropy password is one
// dictionary pass away from the password; an HMAC under a key that never
// leaves the machine is not.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher under key.
func NewHasher(key []byte) *Hasher { return &Hasher{key: append([]byte(nil), key...)} }

// Sum returns "hmac-sha256:<hex>" of v.
func (h *Hasher) Sum(v string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(v))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

// KeySize is the length of a project's hashing key.
const KeySize = 32

// LoadOrCreateKey reads the hashing key at path, creating it (32 random
// bytes, mode 0600, its directory 0700) when it does not exist. A key
// file readable by others is refused: anyone who reads it can test
// guesses against the stored fingerprints.
func LoadOrCreateKey(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	r, err := confine.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	defer r.Close()
	return LoadOrCreateKeyAt(r, filepath.Base(path), path)
}

// LoadOrCreateKeyAt is LoadOrCreateKey of the file name in the confined
// directory r (a project's .ferry), shown as shown in messages. A key
// that is a symbolic link is refused (exit 2), even one that stays in r:
// a repository that commits .ferry/secret.key as a link would otherwise
// have ferry key its fingerprints with a file of its choosing, or write
// a new key through the link.
func LoadOrCreateKeyAt(r *confine.Root, name, shown string) ([]byte, error) {
	key, err := readKey(r, name, shown)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	// O_EXCL: never through a link, and another ferry's key wins.
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKey(r, name, shown)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret key %s: %w", shown, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret key %s: %w", shown, err)
	}
	return key, nil
}

func readKey(r *confine.Root, name, shown string) ([]byte, error) {
	fi, err := r.OwnFile(name, shown, "the key secrets are fingerprinted with")
	if err != nil {
		return nil, err
	}
	if fi == nil {
		return nil, fs.ErrNotExist
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key %s: mode %v is readable by others; chmod 600 it", shown, fi.Mode().Perm())
	}
	f, err := r.Open(name)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !os.SameFile(st, fi) {
		return nil, &confine.Error{Op: "open", Path: shown, Why: "changed while ferry read it; run ferry again"}
	}
	key, err := io.ReadAll(io.LimitReader(f, KeySize+1))
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key %s: %d bytes, want %d", shown, fi.Size(), KeySize)
	}
	return key, nil
}
