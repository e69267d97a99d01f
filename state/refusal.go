package state

import "time"

// Refusal is a promotion its gates refused. Nothing was deployed, so it
// is no revision of the target environment, but its history keeps it:
// who tried to promote what, and why it was refused. Reason and the
// gates' details are scrubbed before they are stored.
type Refusal struct {
	// Environment is where the promotion was going; From where it came.
	Environment  string    `json:"environment"`
	From         string    `json:"from"`
	FromRevision int       `json:"fromRevision,omitempty"`
	Digest       string    `json:"digest,omitempty"`
	Tag          string    `json:"tag,omitempty"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
	Reason       string    `json:"reason"`
	Gates        []Gate    `json:"gates,omitempty"`
}

// RefusalStore is a Store that keeps its environments' refused
// promotions with their record, so that everyone promoting an
// environment sees the same refusals (a Kubernetes target: in the
// cluster). It is optional: a Store without it — the project's own,
// under .ferry/ — leaves promote to keep them in a file beside it.
type RefusalStore interface {
	// AddRefusal records r as a refused promotion into r.Environment.
	AddRefusal(r Refusal) error
	// Refusals returns env's refused promotions, oldest first.
	Refusals(env string) ([]Refusal, error)
}
