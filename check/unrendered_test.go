package check

import "testing"

// TestHelmText: Helm's own actions in a value are found; an action on a
// field Helm does not have is the service's template (a reset link's
// {{ .Token }}) and is not.
func TestHelmText(t *testing.T) {
	tests := []struct{ v, want string }{
		{"{{ .Release.Name }}-kafka:9092", "{{ .Release.Name }}"},
		{"http://{{- .Values.host }}:8080", "{{- .Values.host }}"},
		{"{{ include \"app.fullname\" . }}-redis", "{{ include \"app.fullname\" . }}"},
		{"{{ $.Release.Namespace }}.svc", "{{ $.Release.Namespace }}"},
		{"{{ . }}", "{{ . }}"},
		{"https://app.acme.dev/invite?token={{ .Token }}&team={{ .Team }}", ""},
		{"https://app.acme.dev/invite?token={{.Token}}&ns={{ .Release.Namespace }}", "{{ .Release.Namespace }}"},
		{"Hello {{ .User.FirstName }}", ""},
		{"${{ secrets.TOKEN }}", ""},
		{"plain", ""},
	}
	for _, tt := range tests {
		if got := helmText(tt.v); got != tt.want {
			t.Errorf("helmText(%q) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
