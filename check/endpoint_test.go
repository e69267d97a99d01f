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

// TestGraphEndpoints: Neo4j's URI schemes, with or without TLS, and a
// NEO4J_HOST key are one graph database whatever the spelling.
func TestGraphEndpoints(t *testing.T) {
	for _, tt := range []struct {
		pair, want string // want: the identity, "" for none
	}{
		{"NEO4J_URI=neo4j+s://Graph-DB.acme.net", "graph://graph-db.acme.net:7687/"},
		{"NEO4J_URL=bolt+ssc://graph-db.acme.net:7687", "graph://graph-db.acme.net:7687/"},
		{"GRAPH_URL=bolt://graph-db.acme.net:7688/ignored", "graph://graph-db.acme.net:7688/"},
		{"NEO4J_HOST=graph-db.acme.net", "graph://graph-db.acme.net:7687/"},
		{"NEO4J_USER=neo4j", ""},
	} {
		var got []string
		for _, ep := range endpoints(envOf("prod", tt.pair), nil) {
			got = append(got, ep.ident())
		}
		if strings.Join(got, ";") != tt.want {
			t.Errorf("%s: endpoints %q, want %q", tt.pair, got, tt.want)
		}
	}
}
