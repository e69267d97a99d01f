package kube

// Helm's release records, as its "secret" storage driver keeps them: one
// Secret per revision, named sh.helm.release.v1.<release>.v<revision>, of
// type helm.sh/release.v1, labelled name/owner/status/version, holding
// the release as base64 of gzipped JSON. helm history/status/rollback
// read what ferry writes and ferry reads what they write (the tests check
// both ways with Helm's own SDK). Helm's storage/driver package is not
// imported: it carries its SQL driver (lib/pq, sqlx, squirrel,
// sql-migrate), about 0.9 MB of the binary.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"time"

	rv1 "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

const (
	recordType  = "helm.sh/release.v1"
	recordOwner = "helm"
)

// gzipMagic starts a gzipped record; older Helm wrote plain JSON.
var gzipMagic = []byte{0x1f, 0x8b, 0x08}

// records are one namespace's release records.
type records struct {
	secrets corev1client.SecretInterface
	log     *slog.Logger
	// MaxHistory, when set, bounds the revisions kept: Create removes
	// the oldest but the deployed one first (helm --history-max).
	MaxHistory int
}

func recordKey(name string, version int) string {
	return fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, version)
}

// History returns the release's revisions, oldest first; none when it
// has no record. A record that does not decode is logged and skipped,
// as Helm does.
func (r *records) History(name string) ([]*rv1.Release, error) {
	list, err := r.secrets.List(context.Background(), metav1.ListOptions{LabelSelector: "name=" + name + ",owner=" + recordOwner})
	if err != nil {
		return nil, fmt.Errorf("list release records: %w", err)
	}
	var out []*rv1.Release
	for _, s := range list.Items {
		rel, err := decodeRecord(s.Data["release"])
		if err != nil {
			r.log.Debug("undecodable release record", "key", s.Name, "error", err)
			continue
		}
		rel.Labels = s.Labels
		out = append(out, rel)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Create stores a new revision's record.
func (r *records) Create(rel *rv1.Release) error {
	if r.MaxHistory > 0 {
		if err := r.prune(rel.Name, r.MaxHistory-1); err != nil {
			return err
		}
	}
	s, err := recordSecret(rel, "createdAt")
	if err != nil {
		return err
	}
	if _, err := r.secrets.Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("release %s revision %d: record already exists", rel.Name, rel.Version)
		}
		return fmt.Errorf("create release record: %w", err)
	}
	return nil
}

// Update stores a revision's new state.
func (r *records) Update(rel *rv1.Release) error {
	s, err := recordSecret(rel, "modifiedAt")
	if err != nil {
		return err
	}
	if _, err := r.secrets.Update(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update release record: %w", err)
	}
	return nil
}

// Delete removes a revision's record; one already gone is no error.
func (r *records) Delete(name string, version int) error {
	err := r.secrets.Delete(context.Background(), recordKey(name, version), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete release record: %w", err)
	}
	return nil
}

// prune deletes the oldest records, never the deployed revision's, until
// at most keep are left.
func (r *records) prune(name string, keep int) error {
	rels, err := r.History(name)
	if err != nil || len(rels) <= keep {
		return err
	}
	live := deployed(rels)
	var errs []error
	left := len(rels)
	for _, rel := range rels {
		if left <= keep {
			break
		}
		if live != nil && rel.Version == live.Version {
			continue
		}
		if err := r.Delete(name, rel.Version); err != nil {
			errs = append(errs, err)
		}
		left--
	}
	return errors.Join(errs...)
}

// recordSecret encodes rel as Helm's driver does: its own labels, then
// stamp (createdAt or modifiedAt) and the system labels.
func recordSecret(rel *rv1.Release, stamp string) (*corev1.Secret, error) {
	b, err := json.Marshal(rel)
	if err != nil {
		return nil, fmt.Errorf("encode release %s: %w", rel.Name, err)
	}
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for k, v := range rel.Labels {
		labels[k] = v
	}
	labels[stamp] = strconv.FormatInt(time.Now().Unix(), 10)
	labels["name"], labels["owner"] = rel.Name, recordOwner
	labels["status"], labels["version"] = rel.Info.Status.String(), strconv.Itoa(rel.Version)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: recordKey(rel.Name, rel.Version), Labels: labels},
		Type:       recordType,
		Data:       map[string][]byte{"release": []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))},
	}, nil
}

func decodeRecord(data []byte) (*rv1.Release, error) {
	b, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(b, gzipMagic) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		if b, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	var rel rv1.Release
	if err := json.Unmarshal(b, &rel); err != nil {
		return nil, err
	}
	return &rel, nil
}
