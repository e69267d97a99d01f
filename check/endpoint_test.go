package check

import (
	"strings"
	"testing"
)

// TestMailEndpoints: mail relays are endpoints by key (MAIL_, SMTP_,
// EMAIL_, MAILER_), by SMTP's ports beside any *_HOST and by smtp://
// URLs; addresses and senders are not hosts.
func TestMailEndpoints(t *testing.T) {
	for _, tt := range []struct {
		pairs []string
		want  string // the keys of the mail endpoints found
	}{
		{[]string{"MAIL_HOST=127.0.0.1", "MAIL_PORT=1025"}, "MAIL_HOST,MAIL_PORT"},
		{[]string{"SMTP_SERVER=smtp.eu.mailgun.org"}, "SMTP_SERVER"},
		{[]string{"NOTIFY_HOST=localhost", "NOTIFY_PORT=465"}, "NOTIFY_HOST,NOTIFY_PORT"},
		{[]string{"MAILER_DSN=smtp://localhost:25"}, "MAILER_DSN"},
		{[]string{"EMAIL_FROM=noreply@hirewell.io@values-prod.yaml:1"}, ""},
		{[]string{"MAIL_FROM_ADDRESS=careers"}, ""},
		{[]string{"SMTP_SENDER_ADDRESS=alerts"}, ""},
		{[]string{"APP_HOST=0.0.0.0", "APP_PORT=8080"}, ""},
	} {
		var got []string
		for _, ep := range endpoints(envOf("prod", tt.pairs...), nil) {
			if ep.family == "mail" {
				got = append(got, strings.Join(ep.keys, ","))
			}
		}
		if strings.Join(got, ";") != tt.want {
			t.Errorf("%v: mail endpoints %q, want %q", tt.pairs, got, tt.want)
		}
	}
}
