package check

import (
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/project"
)

// Development switches left on in production: each is harmless on a
// laptop and a hole or a data risk in prod.

func init() {
	register(Rule{
		ID: "FERRY089", Name: "unsafe-production-setting", Severity: Error,
		Summary: "A development-only switch is on in a production environment",
		Help: "OAUTHLIB_INSECURE_TRANSPORT=1 (OAuth over plain HTTP), NODE_TLS_REJECT_UNAUTHORIZED=0 " +
			"and PYTHONHTTPSVERIFY=0 (no certificate verification), FLASK_DEBUG=1 (a debugger that runs " +
			"code from the browser) and SPRING_JPA_HIBERNATE_DDL_AUTO=update/create (Hibernate alters " +
			"or drops the schema at start) are for a developer's machine. In the last environment of " +
			"the path, or one whose name says production, turn them off (and migrate the schema with " +
			"Flyway or Liquibase).",
		Check: checkUnsafeProductionSetting,
	})
}

// unsafeSettings maps a key (upper case, '.' and '-' as '_') to whether
// its value is the unsafe one and what that does.
var unsafeSettings = map[string]struct {
	bad  func(v string) bool
	does string
}{
	"OAUTHLIB_INSECURE_TRANSPORT":   {truthy, "lets OAuth run over plain HTTP"},
	"NODE_TLS_REJECT_UNAUTHORIZED":  {func(v string) bool { return v == "0" }, "turns off certificate verification for every TLS connection"},
	"PYTHONHTTPSVERIFY":             {func(v string) bool { return v == "0" }, "turns off HTTPS certificate verification"},
	"FLASK_DEBUG":                   {truthy, "runs Flask's debugger, which executes code sent from a browser"},
	"SPRING_JPA_HIBERNATE_DDL_AUTO": {ddlWrites, "lets Hibernate alter or drop the production schema at start"},
	"SPRING_JPA_HIBERNATE_DDLAUTO":  {ddlWrites, "lets Hibernate alter or drop the production schema at start"},
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func ddlWrites(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "update", "create", "create-drop":
		return true
	}
	return false
}

func checkUnsafeProductionSetting(in *Input) []Finding {
	var out []Finding
	last := in.last()
	for _, e := range in.Envs {
		if e.Result == nil || (e != last && !project.ProdLike(e.Name)) {
			continue
		}
		for _, en := range e.Result.Config.Entries {
			k := strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(en.Key))
			s, ok := unsafeSettings[k]
			if !ok || en.External || !s.bad(en.Value) {
				continue
			}
			l := e.loc(en.Key, "")
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s=%s (set at %s) %s: turn it off in %s.",
					e.Name, en.Key, en.Value, l.Source, s.does, e.Name),
			})
		}
	}
	return dedupe(out)
}
