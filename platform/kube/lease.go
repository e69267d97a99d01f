package kube

import (
	"context"
	"encoding/json"
	"fmt"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"maps"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ferrydev/ferry/state"
)

// LeaseDuration is how long a lock outlives its holder: a ferry killed
// mid-promotion stops renewing, and the next one may take the lock once
// this much time has passed since the last renewal.
const LeaseDuration = 60 * time.Second

// LockedError is an environment whose Lease another ferry holds: the
// holder as every store names one (a *state.LockedError, which it
// unwraps to, so errors.As and errors.Is(err, state.ErrLocked) find it),
// and when the Lease frees itself if the holder died.
type LockedError struct {
	state.LockedError
	// Expires is when the lock is free if its holder stops renewing.
	Expires time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is locked by %s since %s (Lease; free at %s at the latest if its holder died)",
		e.Env, identity(e.Holder), e.Holder.Since.Local().Format(time.RFC3339), e.Expires.Local().Format(time.RFC3339))
}

// Unwrap returns the holder as every store names one.
func (e *LockedError) Unwrap() error { return &e.LockedError }

// holderAnnotation keeps the holder whole on the Lease (JSON), beside
// its holderIdentity, which is for people (kubectl get lease).
const holderAnnotation = "ferry.dev/holder"

// identity is h as a Lease's holderIdentity: "who: command (pid N)".
func identity(h state.Holder) string {
	if h.User == "" && h.PID == 0 {
		return h.Command
	}
	return fmt.Sprintf("%s: %s (pid %d)", h.User, h.Command, h.PID)
}

// holderOf reads the holder a Lease names: whole from ferry's
// annotation, or only its identity when something else took the Lease.
func holderOf(l *coordv1.Lease) state.Holder {
	var h state.Holder
	if raw, ok := l.Annotations[holderAnnotation]; ok && json.Unmarshal([]byte(raw), &h) == nil {
		return h
	}
	return state.Holder{Command: *l.Spec.HolderIdentity}
}

// Lock is a held environment lock: a coordination.k8s.io Lease named
// ferry-<release> in the environment's namespace, renewed in the
// background until Release.
type Lock struct {
	// leases and where, not the *conn: a Lock is handed out as a
	// state.Lock, and what it holds stays in the binary whole (see conn).
	leases coordinationv1.LeaseInterface
	where  string
	name   string
	stop   chan struct{}
	done   sync.WaitGroup
	mu     sync.Mutex
	lease  *coordv1.Lease
}

func leaseName(env Env) string { return "ferry-" + env.Release }

// Lock takes the environment's Lease for holder, without waiting. A Lease whose holder stopped renewing more than its duration
// ago is taken over; a live one gives a *LockedError naming the holder and
// since when.
func (k *Kube) Lock(ctx context.Context, env Env, holder state.Holder) (*Lock, error) {
	c, err := dial(env, k.Log)
	if err != nil {
		return nil, err
	}
	env = c.env
	leases := c.client.CoordinationV1().Leases(env.Namespace)
	name := leaseName(env)
	now := metav1.NewMicroTime(time.Now())
	who, err := json.Marshal(holder)
	if err != nil {
		return nil, err
	}
	annotations := map[string]string{holderAnnotation: string(who)}
	spec := coordv1.LeaseSpec{
		HolderIdentity:       ptr.To(identity(holder)),
		LeaseDurationSeconds: ptr.To(int32(LeaseDuration / time.Second)),
		AcquireTime:          &now,
		RenewTime:            &now,
	}
	l, err := leases.Create(ctx, &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "ferry"}, Annotations: annotations},
		Spec:       spec,
	}, metav1.CreateOptions{FieldManager: FieldManager})
	if apierrors.IsAlreadyExists(err) {
		cur, gerr := leases.Get(ctx, name, metav1.GetOptions{})
		if gerr != nil {
			return nil, fmt.Errorf("%s: lock: %w", env.where(), gerr)
		}
		if held := heldError(env, cur, time.Now()); held != nil {
			return nil, held
		}
		// Expired: take it over. The update carries the resourceVersion
		// just read, so of two ferries taking over at once one wins and
		// the other sees a conflict.
		cur.Spec = spec
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		maps.Copy(cur.Annotations, annotations)
		l, err = leases.Update(ctx, cur, metav1.UpdateOptions{FieldManager: FieldManager})
		if apierrors.IsConflict(err) {
			if again, gerr := leases.Get(ctx, name, metav1.GetOptions{}); gerr == nil {
				if held := heldError(env, again, time.Now()); held != nil {
					return nil, held
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: lock (Lease %s): %w", env.where(), name, err)
	}
	lk := &Lock{leases: c.client.CoordinationV1().Leases(c.env.Namespace), where: c.env.where(), name: name, stop: make(chan struct{}), lease: l}
	lk.done.Add(1)
	go lk.renew()
	return lk, nil
}

// heldError returns a *LockedError when l is held and not expired.
func heldError(env Env, l *coordv1.Lease, now time.Time) *LockedError {
	s := l.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" {
		return nil
	}
	renewed := l.CreationTimestamp.Time
	if s.RenewTime != nil {
		renewed = s.RenewTime.Time
	}
	dur := LeaseDuration
	if s.LeaseDurationSeconds != nil {
		dur = time.Duration(*s.LeaseDurationSeconds) * time.Second
	}
	if now.After(renewed.Add(dur)) {
		return nil
	}
	since := renewed
	if s.AcquireTime != nil {
		since = s.AcquireTime.Time
	}
	h := holderOf(l)
	h.Since = since
	return &LockedError{LockedError: state.LockedError{Env: env.Name, Holder: h}, Expires: renewed.Add(dur)}
}

// renew keeps the Lease fresh every third of its duration.
func (lk *Lock) renew() {
	defer lk.done.Done()
	t := time.NewTicker(LeaseDuration / 3)
	defer t.Stop()
	for {
		select {
		case <-lk.stop:
			return
		case <-t.C:
			lk.mu.Lock()
			l := lk.lease.DeepCopy()
			now := metav1.NewMicroTime(time.Now())
			l.Spec.RenewTime = &now
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if nl, err := lk.leases.Update(ctx, l, metav1.UpdateOptions{FieldManager: FieldManager}); err == nil {
				lk.lease = nl
			}
			cancel()
			lk.mu.Unlock()
		}
	}
}

// Release gives the lock up: the Lease is deleted, only if it is still
// this holder's (its UID and resourceVersion unchanged).
func (lk *Lock) Release() error {
	close(lk.stop)
	lk.done.Wait()
	lk.mu.Lock()
	defer lk.mu.Unlock()
	l := lk.lease
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := lk.leases.Delete(ctx, l.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &l.UID, ResourceVersion: &l.ResourceVersion},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("%s: unlock (Lease %s): %w", lk.where, lk.name, err)
	}
	return nil
}
