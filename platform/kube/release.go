package kube

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	rv1 "helm.sh/helm/v4/pkg/release/v1"
	"sigs.k8s.io/yaml"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// The labels ferry puts on a release revision (Helm keeps them on the
// revision's storage Secret). The digest is not among them — a label
// value holds 63 characters, a sha256 digest 71 — it is read from the
// revision's manifest, where the pinned image is.
const (
	labelOp   = "ferry.dev/op"
	labelTag  = "ferry.dev/tag"
	labelFrom = "ferry.dev/promoted-from"
	labelBy   = "ferry.dev/by"
	// labelRevision links the Helm revision to ferry's revision number.
	labelRevision = "ferry.dev/revision"
)

// Revision is one revision of an environment's release.
type Revision struct {
	Number int
	// Status is Helm's: deployed, superseded, failed, pending-upgrade…
	Status string
	// Digest is the service image's digest in the revision's manifest.
	Digest string
	Tag    string
	// Op is what made it: deploy, promote, rollback; From the
	// environment it was promoted from; By who ran ferry.
	Op, From, By string
	// Description is Helm's, which ferry writes as one readable line.
	Description string
	Updated     time.Time
	// ApplyMethod is "ssa" or "csa" (client-side: installed by Helm 3).
	ApplyMethod string
	// Ferry is ferry's revision number for it, 0 when ferry did not
	// make it (a helm upgrade by hand).
	Ferry int
}

// Meta is ferry's record of why a revision exists.
type Meta struct {
	Op    string // deploy, promote, rollback
	Tag   string
	From  string
	By    string
	Gates []string
	// Revision is ferry's revision number.
	Revision int
}

func (m Meta) labels() map[string]string {
	l := map[string]string{}
	if m.Revision > 0 {
		l[labelRevision] = strconv.Itoa(m.Revision)
	}
	for k, v := range map[string]string{labelOp: m.Op, labelTag: m.Tag, labelFrom: m.From, labelBy: m.By} {
		if v = labelValue(v); v != "" {
			l[k] = v
		}
	}
	return l
}

func (m Meta) description(digest string) string {
	var b strings.Builder
	b.WriteString("ferry " + m.Op)
	if m.From != "" {
		b.WriteString(" from " + m.From)
	}
	b.WriteString(": " + digest)
	if m.Tag != "" {
		b.WriteString(" (tag " + m.Tag + ")")
	}
	if m.By != "" {
		b.WriteString(" by " + m.By)
	}
	if len(m.Gates) > 0 {
		b.WriteString("; gates " + strings.Join(m.Gates, ", "))
	}
	return b.String()
}

var notLabel = &lazyre.Regexp{Src: `[^A-Za-z0-9_.-]+`}

// labelValue makes s a valid label value: allowed characters only,
// alphanumeric at both ends, at most 63 characters.
func labelValue(s string) string {
	s = notLabel.Get().ReplaceAllString(s, "_")
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "_.-")
}

func revisionOf(r *rv1.Release, repo string) Revision {
	rev := Revision{
		Number:      r.Version,
		Digest:      manifestDigest(r.Manifest, repo),
		Tag:         r.Labels[labelTag],
		Op:          r.Labels[labelOp],
		From:        r.Labels[labelFrom],
		By:          r.Labels[labelBy],
		ApplyMethod: r.ApplyMethod,
	}
	rev.Ferry, _ = strconv.Atoi(r.Labels[labelRevision])
	if r.Info != nil {
		rev.Status = r.Info.Status.String()
		rev.Description = r.Info.Description
		rev.Updated = r.Info.LastDeployed
	}
	return rev
}

// manifestDigest returns the digest the manifest pins for repo: the one
// digest of every container running it, "" when none or several.
func manifestDigest(manifest, repo string) string {
	want := normRepo(repo)
	found := ""
	for _, doc := range splitYAML(manifest) {
		var obj map[string]any
		if yaml.Unmarshal([]byte(doc), &obj) != nil {
			continue
		}
		for _, c := range containersOf(obj) {
			img, _ := c["image"].(string)
			if normRepo(img) != want {
				continue
			}
			d := digestOf(img)
			if found != "" && d != found {
				return ""
			}
			found = d
		}
	}
	return found
}

// releases returns the release's revisions, oldest first, as Helm
// stores them; none when the release does not exist.
func (c *conn) releases() ([]*rv1.Release, error) {
	rels, err := c.helm.Releases.History(c.env.Release)
	if err != nil {
		return nil, fmt.Errorf("%s: release %s history: %w", c.env.where(), c.env.Release, err)
	}
	return rels, nil
}

// current returns the release's deployed revision, or an error matching
// ErrNotDeployed.
func (c *conn) current() (*rv1.Release, error) {
	rels, err := c.releases()
	if err != nil {
		return nil, err
	}
	cur := deployed(rels)
	if cur == nil {
		return nil, fmt.Errorf("%s: release %s: %w", c.env.where(), c.env.Release, ErrNotDeployed)
	}
	return cur, nil
}

// openChange dials env and reads the release's revisions for a change
// (deploy, rollback), recovering a revision a killed ferry left pending
// first; it says what it recovered.
func (k *Kube) openChange(env Env) (*conn, []*rv1.Release, string, error) {
	c, err := dial(env, k.Log)
	if err != nil {
		return nil, nil, "", err
	}
	rels, err := c.releases()
	if err != nil {
		return nil, nil, "", err
	}
	recovered, err := c.recoverPending(rels)
	return c, rels, recovered, err
}

// deployed returns the release's deployed revision, nil when none.
func deployed(rels []*rv1.Release) *rv1.Release {
	for i := len(rels) - 1; i >= 0; i-- {
		if rels[i].Info != nil && rels[i].Info.Status == rcommon.StatusDeployed {
			return rels[i]
		}
	}
	return nil
}

// recoverPending finds a revision left pending-install/-upgrade/-rollback
// by a ferry (or helm) that was killed mid-operation: Helm refuses every
// further operation on the release while one is pending. The caller holds
// the environment's Lease, so no live operation owns it; the revision is
// marked failed, which is what it is, and the message says so.
func (c *conn) recoverPending(rels []*rv1.Release) (string, error) {
	if len(rels) == 0 {
		return "", nil
	}
	last := rels[len(rels)-1]
	if last.Info == nil || !last.Info.Status.IsPending() {
		return "", nil
	}
	was := last.Info.Status
	last.Info.Status = rcommon.StatusFailed
	last.Info.Description = fmt.Sprintf("ferry: recovered: left %s by an interrupted operation (%s)", was, last.Info.Description)
	if err := c.helm.Releases.Update(last); err != nil {
		return "", fmt.Errorf("%s: recover release %s revision %d from %s: %w", c.env.where(), c.env.Release, last.Version, was, err)
	}
	return fmt.Sprintf("release %s revision %d was left %s by an interrupted operation; marked failed and carried on", c.env.Release, last.Version, was), nil
}
