package check

import (
	"fmt"
	"testing"
)

func TestCommandSecrets(t *testing.T) {
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"sh", "-c", "until PGPASSWORD=postgres123 psql -h db -c 'select 1'; do sleep 2; done"}, "[{PGPASSWORD PGPASSWORD=postgres123}]"},
		{[]string{"mysqladmin", "ping", "--password=hunter2hunter2"}, "[{--password --password}]"},
		{[]string{"sh", "-c", "export API_TOKEN='abc123def456'"}, "[{API_TOKEN API_TOKEN='abc123def456'}]"},
		{[]string{"curl", "https://deploy:Xk29fLq83@hooks.acme.io/run"}, "[{a URL's password https://deploy:}]"},
		// From the environment, a file, a placeholder, or no credential: nothing.
		{[]string{"sh", "-c", `PGPASSWORD="$DB_PASSWORD" psql -h db`}, "[]"},
		{[]string{"--password-file=/run/secrets/db", "--token", "$(API_TOKEN)"}, "[]"},
		{[]string{"sh", "-c", "PASSWORD_MIN_LENGTH=12 ./server"}, "[]"},
		{[]string{"sh", "-c", "SECRET_NAME=orders-db ./sync"}, "[]"},
		{[]string{"celery", "-A", "tasks", "worker", "--loglevel=INFO"}, "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(commandSecrets(tt.words)); got != tt.want {
			t.Errorf("commandSecrets(%q) = %s, want %s", tt.words, got, tt.want)
		}
	}
}
