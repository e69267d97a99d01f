package render

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// stubDecrypter stands in for the sops-backed one (package sopsvalues,
// tested there with real age keys): these cases are about what render
// does with its answer.
type stubDecrypter struct {
	plain string
	err   error
}

func (s stubDecrypter) Decrypt(string, []byte) ([]byte, error) { return []byte(s.plain), s.err }

// TestDecrypterAnswers: a decrypted file's values are secret with the
// committed file's lines; a failure is one line at the sops: section; a
// plaintext Helm cannot use is refused without quoting it.
func TestDecrypterAnswers(t *testing.T) {
	files := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: inbox\nversion: 0.1.0\n",
		"chart/values.yaml": "config:\n  MAIL_HOST: localhost\n  LOG_FORMAT: json\n",
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: inbox
spec:
  template:
    spec:
      containers:
        - name: inbox
          image: registry.example.com/inbox:1.0.0
          env:
            {{- range $k, $v := .Values.config }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
`,
		// The keys are in clear, the values ciphertext, as sops writes it.
		"chart/values-prod.yaml": "config:\n    MAIL_HOST: ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]\nsops:\n    age:\n        - recipient: age1qqqq\n    version: 3.13.3\n",
	}
	tests := []struct {
		name    string
		dec     Decrypter
		wantErr string
	}{
		{"decrypted", stubDecrypter{plain: "config:\n  MAIL_HOST: smtp.mailhost-prod.internal\n"}, ""},
		{"no key", stubDecrypter{err: errors.New("no key to decrypt it: set SOPS_AGE_KEY_FILE")}, "chart/values-prod.yaml:3: is SOPS-encrypted and could not be decrypted: no key to decrypt it: set SOPS_AGE_KEY_FILE"},
		{"not a mapping", stubDecrypter{plain: "- smtp.mailhost-prod.internal\n"}, "chart/values-prod.yaml: its decrypted values are not a YAML mapping Helm can use"},
		{"no decrypter", nil, "chart/values-prod.yaml:3: is SOPS-encrypted and this ferry was built without SOPS decryption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SetDecrypter(tt.dec)
			t.Cleanup(func() { SetDecrypter(nil) })
			dir := testtree.Write(t, files)
			p, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Render(t.Context(), p, "prod")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "mailhost-prod") {
					t.Fatalf("err = %v, want %q and never the plaintext", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e, _ := res.Config.Get("MAIL_HOST")
			if e.Value != "smtp.mailhost-prod.internal" || !e.Secret || !e.Source.Encrypted || e.Source.String() != "chart/values-prod.yaml:2" {
				t.Errorf("MAIL_HOST = %q from %s (secret %v), want the decrypted value, secret, from values-prod.yaml:2", e.Value, e.Source, e.Secret)
			}
			if e, _ := res.Config.Get("LOG_FORMAT"); e.Secret || e.Source.Encrypted {
				t.Errorf("LOG_FORMAT from the clear base is secret")
			}
		})
	}
}
