package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/ferrydev/ferry/state"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Store keeps one kube environment's ferry revisions in the cluster, next
// to its Helm release: a Secret ferry-<release>-history in the
// environment's namespace (a Secret because a revision's config snapshot
// holds keyed hashes of secret values), updated with optimistic
// concurrency, and the environment's Lease as its lock. Two laptops
// promoting the same environment see one history and one lock, and
// nothing of it lives on either laptop.
type Store struct {
	k   *Kube
	env Env
}

// NewStore returns the cluster store of env.
func (k *Kube) NewStore(env Env) *Store {
	env.defaults()
	return &Store{k: k, env: env}
}

type storedState struct {
	Current   int              `json:"current"`
	Revisions []state.Revision `json:"revisions"`
}

func historyName(env Env) string { return "ferry-" + env.Release + "-history" }

const historyKey = "revisions.json"

// load reads the history Secret; a missing one is an empty history.
func (s *Store) load(ctx context.Context, c *conn) (*storedState, *corev1.Secret, error) {
	sec, err := c.client.CoreV1().Secrets(s.env.Namespace).Get(ctx, historyName(s.env), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &storedState{}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read history: %w", s.env.where(), err)
	}
	st := &storedState{}
	if err := json.Unmarshal(sec.Data[historyKey], st); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: Secret %s: %w", state.ErrCorrupt, s.env.where(), historyName(s.env), err)
	}
	return st, sec, nil
}

// View implements state.Store.
func (s *Store) View(fn func(state.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dial(s.env, s.k.Log)
	if err != nil {
		return err
	}
	st, _, err := s.load(ctx, c)
	if err != nil {
		return err
	}
	return fn(&tx{env: s.env.Name, st: st})
}

// Update implements state.Store: read, change, write back with the
// resourceVersion read, so a concurrent writer makes this one retry
// instead of being overwritten.
func (s *Store) Update(fn func(state.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dial(s.env, s.k.Log)
	if err != nil {
		return err
	}
	secrets := c.client.CoreV1().Secrets(s.env.Namespace)
	return retryConflicts(func() error {
		st, sec, err := s.load(ctx, c)
		if err != nil {
			return err
		}
		if err := fn(&tx{env: s.env.Name, st: st}); err != nil {
			return err
		}
		data, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if sec == nil {
			_, err = secrets.Create(ctx, &corev1.Secret{
				ObjectMeta: s.meta(historyName(s.env)),
				Type:       "ferry.dev/history",
				Data:       map[string][]byte{historyKey: data},
			}, metav1.CreateOptions{FieldManager: FieldManager})
		} else {
			sec.Data = map[string][]byte{historyKey: data}
			_, err = secrets.Update(ctx, sec, metav1.UpdateOptions{FieldManager: FieldManager})
		}
		if err != nil {
			return fmt.Errorf("%s: write history: %w", s.env.where(), err)
		}
		return nil
	})
}

// meta is the metadata of an object the store creates.
func (s *Store) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"app.kubernetes.io/managed-by": "ferry", "ferry.dev/release": labelValue(s.env.Release)}}
}

// retryConflicts runs write (a read, change and write back with the
// resourceVersion read) again when another writer got in between, a few
// times, so that concurrent ferries add to each other's records instead
// of overwriting them.
func retryConflicts(write func() error) error {
	for attempt := 0; ; attempt++ {
		err := write()
		if (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) && attempt < 5 {
			continue
		}
		return err
	}
}

// Lock implements state.Store with the environment's Lease; a held one
// is a *LockedError, which is a *state.LockedError.
func (s *Store) Lock(ctx context.Context, _ string, h state.Holder) (state.Lock, error) {
	l, err := s.k.Lock(ctx, s.env, h)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// tx is a transaction over one environment's stored history.
type tx struct {
	env string
	st  *storedState
}

func (t *tx) mine(env string) bool { return env == t.env }

func (t *tx) Current(env string) (int, error) {
	if !t.mine(env) {
		return 0, nil
	}
	return t.st.Current, nil
}

func (t *tx) CurrentRevision(env string) (*state.Revision, error) {
	n, _ := t.Current(env)
	if n == 0 {
		return nil, nil
	}
	return t.Get(env, n)
}

func (t *tx) SetCurrent(env string, n int) error {
	if !t.mine(env) {
		return fmt.Errorf("history of %s cannot set %s's revision", t.env, env)
	}
	t.st.Current = n
	return nil
}

func (t *tx) Get(env string, n int) (*state.Revision, error) {
	if t.mine(env) {
		for i := range t.st.Revisions {
			if t.st.Revisions[i].Number == n {
				r := t.st.Revisions[i]
				return &r, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: %s revision %d", state.ErrNoRevision, env, n)
}

func (t *tx) List(env string) ([]state.Revision, error) {
	if !t.mine(env) {
		return nil, nil
	}
	out := append([]state.Revision(nil), t.st.Revisions...)
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func (t *tx) Add(r *state.Revision) (int, error) {
	if !t.mine(r.Env) {
		return 0, fmt.Errorf("history of %s cannot hold a revision of %s", t.env, r.Env)
	}
	n := 0
	for _, x := range t.st.Revisions {
		n = max(n, x.Number)
	}
	r.Number = n + 1
	t.st.Revisions = append(t.st.Revisions, *r)
	return r.Number, nil
}

func (t *tx) Put(r *state.Revision) error {
	if !t.mine(r.Env) {
		return fmt.Errorf("history of %s cannot hold a revision of %s", t.env, r.Env)
	}
	for i := range t.st.Revisions {
		if t.st.Revisions[i].Number == r.Number {
			t.st.Revisions[i] = *r
			return nil
		}
	}
	t.st.Revisions = append(t.st.Revisions, *r)
	return nil
}
