package kube

import (
	"encoding/base64"
	"testing"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	rv1 "helm.sh/helm/v4/pkg/release/v1"
)

// TestRecordEncoding: ferry writes records as Helm's driver does (gzipped
// JSON, base64, system labels over the release's own) and reads both
// that and the plain JSON older Helm wrote; anything else is an error.
func TestRecordEncoding(t *testing.T) {
	rel := &rv1.Release{Name: "orders-api", Version: 3, Manifest: "kind: ConfigMap\n",
		Info:   &rv1.Info{Status: rcommon.StatusDeployed, Description: "ferry deploy"},
		Labels: map[string]string{labelTag: "1.2.0", "status": "superseded"}}
	s, err := recordSecret(rel, "modifiedAt")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "sh.helm.release.v1.orders-api.v3" || s.Type != "helm.sh/release.v1" {
		t.Errorf("record %s of type %s", s.Name, s.Type)
	}
	for k, want := range map[string]string{"name": "orders-api", "owner": "helm", "status": "deployed", "version": "3", labelTag: "1.2.0"} {
		if s.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, s.Labels[k], want)
		}
	}
	if s.Labels["modifiedAt"] == "" {
		t.Error("no modifiedAt label")
	}
	plain := base64.StdEncoding.EncodeToString([]byte(`{"name":"orders-api","version":2,"info":{"status":"superseded"}}`))
	for _, tt := range []struct {
		name    string
		data    []byte
		version int
		status  string
		wantErr bool
	}{
		{"gzipped, as Helm writes", s.Data["release"], 3, "deployed", false},
		{"plain JSON, as older Helm wrote", []byte(plain), 2, "superseded", false},
		{"not base64", []byte("{not base64"), 0, "", true},
		{"base64 of no JSON", []byte(base64.StdEncoding.EncodeToString([]byte("kind: Secret"))), 0, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRecord(tt.data)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != tt.version || got.Info.Status.String() != tt.status || got.Name != "orders-api" {
				t.Errorf("decoded version %d status %s name %s", got.Version, got.Info.Status, got.Name)
			}
		})
	}
}
