package render

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// TestStandInForEncrypted: a SOPS values file no sops can decrypt here
// (no decrypter is installed in this test) fails a render, and with
// stand-ins the environment renders: the encrypted key keeps its
// committed line, is secret, and the Result says the file was not
// decrypted and why.
func TestStandInForEncrypted(t *testing.T) {
	p, err := project.LoadChart("../check/testdata/charts/gin-sops-prod", "deploy/helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(p).Render(t.Context(), "prod"); err == nil || !strings.Contains(err.Error(), "SOPS-encrypted") {
		t.Fatalf("render without stand-ins: %v, want the SOPS error", err)
	}
	r := New(p)
	r.StandInForEncrypted()
	res, err := r.Render(t.Context(), "prod")
	if err != nil {
		t.Fatalf("render with stand-ins: %v", err)
	}
	if len(res.NotDecrypted) != 1 || res.NotDecrypted[0].File != "deploy/helm/values-prod.yaml" || res.NotDecrypted[0].Line != 3 {
		t.Errorf("NotDecrypted = %+v, want deploy/helm/values-prod.yaml:3", res.NotDecrypted)
	}
	e, ok := res.Config.Get("ELASTICSEARCH_HOSTS")
	if !ok {
		t.Fatalf("ELASTICSEARCH_HOSTS missing from prod's configuration: %d entries", len(res.Config.Entries))
	}
	if !e.Secret || !e.Source.Encrypted || e.Source.File != "deploy/helm/values-prod.yaml" || e.Source.Line != 2 {
		t.Errorf("ELASTICSEARCH_HOSTS = secret %v, encrypted %v, from %s; want a secret from deploy/helm/values-prod.yaml:2", e.Secret, e.Source.Encrypted, e.Source)
	}
	if strings.Contains(e.Display(), "sops-encrypted") {
		t.Errorf("the stand-in is shown: %s", e.Display())
	}
	if !e.External || e.Value != "" {
		t.Errorf("ELASTICSEARCH_HOSTS = %q (external %v), want a value unknown until run time: a stand-in is no setting", e.Value, e.External)
	}
	// The staging file is not encrypted: nothing is said of it.
	res, err = r.Render(t.Context(), "staging")
	if err != nil || len(res.NotDecrypted) != 0 {
		t.Errorf("staging: %v, NotDecrypted %+v", err, res.NotDecrypted)
	}
}
