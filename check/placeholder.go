package check

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// Values that are not values: CI placeholders a pipeline was meant to
// replace, encrypted blobs, and committed credentials.

// ciPlaceholder matches placeholders left for a pipeline or a person.
var ciPlaceholder = lazyre.New(`(?i)(\$\{\{.*\}\}|\$\{[A-Za-z_][A-Za-z0-9_.]*\}|(?:^|[^A-Za-z0-9])REPLACE[_-]?(?:WITH|ME)(?:$|[^A-Za-z0-9])|\bREPLACE[_-]ME\b|^CHANGE[_-]?ME$|^(OVERRIDE|REPLACE)[_-]?(ME|THIS)$|^YOUR[_-][A-Z0-9_-]+$|(?-i:^TODO\b)|^xxx+$|^__[A-Z0-9_]+__$|^placeholder$|^#\{.*\}#?$)`)

// placeholderParts match a placeholder inside a longer value: a host
// your-rds-endpoint.region.rds.amazonaws.com, an ARN with the account
// XXXXXXXXXXXX, a URL https://<tenant>.auth0.com, a password changeme123,
// a registry host whose account and region are __PLACEHOLDER__
// (eval14 bk-devops-case; upper case only: __init__ is Python's).
var placeholderParts = lazyre.New(`(?i)((^|[^a-z0-9])your([-_][a-z0-9]|(domain|company|app|host|server|project|account|org|bucket|cluster|registry|region|tenant|name)s?([^a-z0-9]|$))|(^|[^a-z0-9])x{4,}([^a-z0-9]|$)|(change|override)[-_]?(me|this)|^(TODO|TBD|FIXME)$|(^|[^0-9])123456789012([^0-9]|$))|(?-i:^(TODO|TBD|FIXME)\b|(^|[^A-Za-z0-9_])__[A-Z][A-Z0-9_]*__([^A-Za-z0-9_]|$))`)

// placeholderHosts are the domains reserved for documentation (RFC 2606,
// RFC 6761): a service configured with one reaches nothing.
var placeholderHost = lazyre.New(`(?i)(^|[/@.:])(example\.(com|org|net)|[a-z0-9-]+\.(invalid|example))(:\d+)?([/?#:]|$)`)

// isPlaceholder reports an unreplaced placeholder.
func isPlaceholder(v string) bool {
	v = strings.TrimSpace(v)
	if !mayBePlaceholder(v) {
		return false
	}
	return ciPlaceholder.Get().MatchString(v) || placeholderParts.Get().MatchString(v) || placeholderHost.Get().MatchString(v) || anglePlaceholder(v) || fillIn(v)
}

// fillIn reports an upper-case CHANGE_<WORD> or REPLACE_<WORD> naming
// what to write in (CHANGE_COMMIT_ID, REPLACE_DB_HOST): a pipeline's sed
// target or a person's note. Names of modes (CHANGE_DATA_CAPTURE,
// CHANGE_STREAM) end in another word and are values.
func fillIn(v string) bool {
	rest, ok := strings.CutPrefix(v, "CHANGE_")
	if !ok {
		if rest, ok = strings.CutPrefix(v, "REPLACE_"); !ok {
			return false
		}
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	last := rest[strings.LastIndexByte(rest, '_')+1:]
	return last != "" && strings.Contains(fillInWords, " "+last+" ")
}

// fillInWords end the names of what a CHANGE_… value stands for.
const fillInWords = " ME THIS IT ID SHA TAG VERSION COMMIT URL URI HOST HOSTNAME DOMAIN ENDPOINT PORT PASSWORD TOKEN KEY " +
	"SECRET NAME VALUE EMAIL USER USERNAME ACCOUNT REGION BUCKET ARN DSN IMAGE REGISTRY REPOSITORY PROJECT ADDRESS IP "

// angleWord matches a <word> a person was meant to fill in:
// <your-api-key>, https://<tenant>.auth0.com, <EMPTY>=.
var angleWord = lazyre.New(`<[A-Za-z_][A-Za-z0-9_ .-]*>`)

// markup matches what only a file or a page holds.
var markup = lazyre.New(`\n|</|/>|<[!?]`)

// anglePlaceholder reports a <word> stand-in in a one-line value that is
// not markup: an nginx maintenance page (<!DOCTYPE html>, <head>,
// </body>) in a ConfigMap is a file, not a value left unreplaced.
func anglePlaceholder(v string) bool {
	if markup.Get().MatchString(v) {
		return false
	}
	for _, ix := range angleWord.Get().FindAllStringIndex(v, -1) {
		if ix[0] > 0 && isIdent(v[ix[0]-1]) {
			continue // a type parameter: List<String>
		}
		if querySlot(v, ix[0], ix[1]) {
			continue // reset?token=<token>: the service fills it in
		}
		if name, _, _ := strings.Cut(strings.ToLower(v[ix[0]+1:ix[1]-1]), " "); !strings.Contains(htmlTags, " "+name+" ") {
			return true
		}
	}
	return false
}

// querySlot reports an angle word v[from:to] that is the whole value of a
// URL's query parameter of the same name (?token=<token>, &email=<email>):
// a slot the service fills in as it builds the link, where a person's
// stand-in would name what to write (<your-api-key>).
func querySlot(v string, from, to int) bool {
	if !strings.Contains(v, "://") || from == 0 || v[from-1] != '=' || to < len(v) && v[to] != '&' && v[to] != '#' {
		return false
	}
	start := strings.LastIndexAny(v[:from-1], "?&") + 1
	if start == 0 {
		return false
	}
	return strings.EqualFold(strings.ReplaceAll(v[start:from-1], "_", ""), strings.ReplaceAll(v[from+1:to-1], "_", ""))
}

// htmlTags are the elements a page opens without closing on its line.
const htmlTags = " html head body title div span p br hr b i a em strong ul ol li table tr td th meta style script link h1 h2 h3 pre code center main section "

// firstLine is v for a message: its first line, at most 120 bytes, marked
// when cut; a 130-line page is never printed whole.
func firstLine(v string) string {
	s, _, cut := strings.Cut(v, "\n")
	if len(s) > 120 {
		s, cut = strings.ToValidUTF8(s[:120], ""), true
	}
	if cut {
		s += "…"
	}
	return s
}

// placeholderLiterals are, in lower case, the literals one of which
// every match of ciPlaceholder, placeholderParts and placeholderHost
// holds.
var placeholderLiterals = []string{
	"${", "replace", "change", "your", "<", "todo", "xxx", "__", "#{",
	"tbd", "fixme", "123456789012", "example", "invalid", "placeholder", "override",
}

// mayBePlaceholder reports whether v holds one of placeholderLiterals,
// ignoring ASCII case: most values hold none, and strings.Contains is
// far cheaper than the three expressions. A value with non-ASCII bytes
// always goes to them, since their case-insensitive classes fold
// letters such as the Kelvin sign to ASCII ones.
func mayBePlaceholder(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			return true
		}
	}
	lower := strings.ToLower(v)
	for _, l := range placeholderLiterals {
		if strings.Contains(lower, l) {
			return true
		}
	}
	return false
}

// encrypted reports a SOPS-encrypted value.
func encrypted(v string) bool { return strings.HasPrefix(strings.TrimSpace(v), "ENC[") }

func init() {
	register(
		Rule{
			ID: "FERRY041", Name: "committed-secret", Severity: Error,
			Summary: "A committed values file feeds a Secret, or a URL carries a password or token",
			Help: "A Secret the chart renders from a literal in a values file, and a URL or DSN whose " +
				"userinfo or query carries a password or token, put the credential in the repository for " +
				"everyone who can read it. Create the Secret outside the chart (or encrypt the values with " +
				"SOPS) and reference it; build URLs from a credential delivered by a Secret ($(DB_PASSWORD) " +
				"in env). A slot the service fills in (reset?token={token}, %s, <token>, :token) is a template, not a credential.",
			Check: checkCommittedSecret,
		},
		Rule{
			ID: "FERRY082", Name: "placeholder-value", Severity: Error,
			Summary: "A CI placeholder was rendered as a real value",
			Help: "${{ IMAGE_TAG }}, ${VAR}, REPLACE_WITH_…, replace-me, changeme, CHANGE_COMMIT_ID, YOUR_…, <…>, TODO or " +
				"xxx in a rendered value or image tag was meant to be replaced by a pipeline or a person; " +
				"deployed as it is, the service gets the placeholder. An error after the first " +
				"environment of the path, a warning in the first. Set the real value, or reference a Secret.",
			Check: checkPlaceholder,
		},
		Rule{
			ID: "FERRY083", Name: "emptied-value", Severity: Warning,
			Summary: "A later environment empties a value an earlier one sets",
			Help: "A key that an earlier environment of the path sets and a later one sets to \"\" " +
				"(OIDC_AUTH_SERVER_URL: \"\" in prod where staging has a URL) reaches the container " +
				"empty: most libraries treat that as unset, and the feature silently falls back or " +
				"fails at run time. Set the later environment's real value, or delete the key there " +
				"if the base value is right. A URL path prefix (BASE_PATH, …_PREFIX: /app) emptied is " +
				"an environment served at the root, and is not reported.",
			Check: checkEmptiedValue,
		},
	)
	projectRules["FERRY041"] = true
}

// placeholderPasswords reports a URL or DSN whose every password (by
// secret.Passwords, the one parser of them: userinfo, ?password=,
// password= of a DSN) is a placeholder or a $(VAR) reference: it
// commits no credential. Slots the application fills in
// (reset?token={token}) are not passwords to begin with.
func placeholderPasswords(v string) bool {
	ps := secret.Passwords(v)
	return len(ps) > 0 && len(committedPasswords(ps)) == 0
}

// committedPasswords are the passwords of ps that are written out: not a
// placeholder, a $(VAR) reference or a ${VAR} one.
func committedPasswords(ps []secret.Password) []secret.Password {
	var out []secret.Password
	for _, p := range ps {
		if !placeholder(p.Value) && !isPlaceholder(p.Value) && !strings.Contains(p.Value, "$(") {
			out = append(out, p)
		}
	}
	return out
}

// urlCredentialFinding is FERRY041's finding on a committed URL or DSN
// en that carries a credential, worded for the first one written out: a
// password (userinfo, password=), or the token, key or signature of a
// query parameter, which is not a password and is not fixed like one.
func urlCredentialFinding(e *Env, en render.Entry) Finding {
	noun, what, ref := "password", "a password", "$(DB_PASSWORD)"
	if ps := committedPasswords(secret.Passwords(en.Value)); len(ps) > 0 && ps[0].Param != "" {
		noun, ref = credentialNoun(ps[0].Param)
		what = "a " + noun
		if noun != "password" {
			what += " (" + ps[0].Param + "=)"
		}
	}
	l := Location{Environment: e.Name, Key: en.Key, Value: secret.Shown(en.Key, en.Value, secret.Whole), Source: en.Source.String(), File: en.Source.File, Line: en.Source.Line}
	return Finding{
		Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l},
		Message: fmt.Sprintf("%s: %s carries %s in its URL (set at %s): deliver the %s from a Secret and build the URL with %s in env.",
			e.Name, en.Key, what, en.Source, noun, ref),
	}
}

// credentialNoun names the credential a query parameter or DSN key
// carries, and the $(VAR) to build the URL from instead.
func credentialNoun(param string) (noun, ref string) {
	up := strings.ToUpper(param)
	switch {
	case strings.Contains(up, "PASS") || up == "PWD":
		return "password", "$(DB_PASSWORD)"
	case strings.Contains(up, "SIG") || strings.Contains(up, "CREDENTIAL"):
		noun = "signature"
	case strings.Contains(up, "KEY"):
		noun = "key"
	case strings.Contains(up, "SECRET"):
		noun = "secret"
	default:
		noun = "token"
	}
	return noun, "$(" + strings.Join(splitWords(camelWords(param)), "_") + ")"
}

func checkCommittedSecret(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		out = append(out, fileSecretFindings(e, true)...)
		out = append(out, pullSecretFindings(e)...)
		out = append(out, overriddenCredentials(in, e)...)
		for _, sv := range e.Result.SecretValues {
			if configFileKind(sv.Key) != "" {
				continue // a file: its keys are checked one by one above
			}
			// Template text and chart files (.Files.Get) are committed as
			// much as a values file is; a key a template took from a
			// file whose path the values choose has no known line, and
			// chartLine finds it where the repository writes it.
			chartText := !sv.Source.Encrypted && (sv.Source.Kind == render.KindTemplate || sv.Source.Kind == render.KindFile ||
				sv.Source.Kind == render.KindUnknown && sv.Source.File != "")
			if !committedSource(sv.Source) && !chartText || placeholder(sv.Value) || isPlaceholder(sv.Value) || encrypted(sv.Value) ||
				publicCertificate(sv.Key, sv.Value) || !credentialData(sv.Key, sv.Value) {
				continue
			}
			l := Location{Environment: e.Name, Key: sv.Key, Value: secret.Shown(sv.Key, sv.Value, secret.Whole), Source: sv.Source.String(), File: sv.Source.File, Line: sv.Source.Line}
			if chartText {
				// Only text the repository holds: randAlphaNum 32 renders
				// a value written nowhere.
				w, ok := chartLine(in, e.Result.Values, sv.Source.File, sv.Key, sv.Value)
				if !ok {
					continue
				}
				if l.Line == 0 {
					l.Source, l.File, l.Line = w.Source, w.File, w.Line
				}
			}
			fix := "encrypt the file with SOPS"
			if sv.Source.Kind == render.KindCI {
				fix = "pass it from the pipeline's secret store (${{ secrets.NAME }})"
			}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: sv.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: Secret %s key %s is a literal from %s, committed with the repository: create the Secret outside the chart, or %s.",
					e.Name, sv.Secret, sv.Key, l.Source, fix),
			})
		}
		for _, w := range e.Result.Workloads {
			for _, c := range w.Containers {
				for _, en := range c.Config.Entries {
					if en.External || en.Source.Encrypted || !committedKind(en.Source.Kind) && !committedSource(en.Source) {
						continue
					}
					if len(secret.Passwords(en.Value)) == 0 {
						continue
					}
					if placeholderPasswords(en.Value) {
						continue
					}
					out = append(out, urlCredentialFinding(e, en))
				}
			}
		}
	}
	return dedupe(out)
}

// overriddenCredentials are the credentials a committed values layer
// holds under a path the CI deploy command replaces with --set
// (databaseUrl: postgres://app:pw@…rds…, --set databaseUrl=$DATABASE_URL,
// eval15 kitten-store): never rendered, still in the repository.
func overriddenCredentials(in *Input, e *Env) []Finding {
	if len(e.SetByCI) == 0 || e.Spec == nil {
		return nil
	}
	// Only what the pipeline fills in: a literal --set is reported as
	// the credential it is, at the command's line.
	filled := map[string]bool{}
	for _, s := range e.Spec.Set {
		if s.ByCI {
			filled[s.Path] = true
		}
	}
	var out []Finding
	for _, p := range slices.Sorted(maps.Keys(e.SetByCI)) {
		if !filled[p] {
			continue
		}
		key := leaf(p)
		for _, f := range e.Spec.Values {
			line := keyLine(in.files(), in.dir(), f, key)
			if line == 0 {
				// The leaf's name recurs (database.password, mail.password):
				// the path's own line.
				line = pathLine(in, f, p)
			}
			if line == 0 {
				continue
			}
			v, ok := lineValue(in, f, line, p)
			if !ok || v == "" || placeholder(v) || isPlaceholder(v) || standIn(key, v) || encrypted(v) || project.IsCIExpr(v) || boolish(v) {
				continue
			}
			// PROD_DB_PASSWORD names the variable a pipeline step writes
			// in: a stand-in, not the credential.
			if len(committedPasswords(secret.Passwords(v))) == 0 && (!sensitive(key) || !credentialData(key, v) || varName(v)) {
				continue
			}
			f = filepath.ToSlash(f)
			l := Location{Environment: e.Name, Key: p, Value: secret.Shown(key, v, secret.Whole), Source: fmt.Sprintf("%s:%d", f, line), File: f, Line: line}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: p, Locations: []Location{l},
				Message: fmt.Sprintf("%s: %s at %s holds a credential: the deploy command (%s) overrides it with --set, but it is committed with the repository: delete it from the values file and rotate it.",
					e.Name, p, l.Source, e.SetByCI[p]),
			})
		}
	}
	return out
}

// standIn reports a dummy written where CI sets the real value: the
// key's own word behind a filler (somePassword, my-secret, dummyToken for
// password/secret/token keys), the key's name itself, or a bare filler
// word (dummy, example).
func standIn(key, v string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r == '.' || r == ' ' {
				return -1
			}
			return unicode.ToLower(r)
		}, s)
	}
	v, key = norm(v), norm(key)
	if v == key || slices.Contains(standInFillers, v) {
		return true
	}
	for _, f := range standInFillers {
		rest, ok := strings.CutPrefix(v, f)
		if ok && rest != "" && (strings.HasSuffix(key, rest) || slices.Contains(standInWords, rest)) {
			return true
		}
	}
	return false
}

var (
	standInFillers = []string{"some", "my", "your", "default", "dummy", "sample", "example", "fake", "test"}
	standInWords   = []string{"password", "pass", "pwd", "secret", "token", "key", "apikey", "webhook"}
)

// chartLine locates a Secret key written as text in the chart: the one
// line of the template, else of its chart's other files (what .Files.Get
// copies in), that writes key with value; the template without a line
// when several do. ok is false when the value is written nowhere there
// (a function made it).
func chartLine(in *Input, vals map[string]any, template, key, value string) (l Location, ok bool) {
	l = Location{Source: "template " + template, File: template}
	var found []string
	b64 := base64.StdEncoding.EncodeToString([]byte(value))
	match := func(rel string) {
		data, err := in.files().ReadFile(filepath.Join(in.dir(), filepath.FromSlash(rel)))
		if err != nil {
			return
		}
		for i, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, value) && !strings.Contains(line, b64) {
				continue
			}
			ok = true
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
			if v = strings.Trim(strings.TrimSpace(v), `"'`); strings.Trim(strings.TrimSpace(k), `"'`) == key && (v == value || v == b64) {
				found = append(found, fmt.Sprintf("%s:%d", rel, i+1))
			}
		}
	}
	match(template)
	// The template's own chart: a subchart's files are its own
	// (charts/auth/environments/dev/secret.yaml).
	chart, _, sub := strings.Cut(filepath.ToSlash(template), "/templates/")
	if !sub && in.Project != nil {
		chart = filepath.ToSlash(in.Project.Chart)
	}
	if len(found) == 0 && chart != "" {
		_ = in.files().WalkDir(filepath.Join(in.dir(), filepath.FromSlash(chart)), func(p string, d fs.DirEntry, err error) error {
			rel := filepath.ToSlash(in.files().rel(p))
			switch {
			case err != nil:
				return nil
			case d.IsDir() && (d.Name() == "templates" || d.Name() == "charts" || strings.HasPrefix(d.Name(), ".")) && rel != chart:
				return filepath.SkipDir
			case !d.IsDir():
				match(rel)
			}
			return nil
		})
		if len(found) > 1 {
			found = filesGot(in, template, vals, found)
		}
	}
	if len(found) != 1 {
		return l, ok
	}
	file, line, _ := strings.Cut(found[0], ":")
	n, _ := strconv.Atoi(line)
	return Location{Source: found[0], File: file, Line: n}, true
}

// filesGot keeps the places (file:line) whose file a .Files.Get of
// template names with this environment's values: environments/dev/… when
// it reads printf "environments/%s/secret.yaml" .Values.global.env and
// global.env is dev.
func filesGot(in *Input, template string, vals map[string]any, places []string) []string {
	data, _ := in.files().ReadFile(filepath.Join(in.dir(), filepath.FromSlash(template)))
	scope := subchartScope(strings.TrimPrefix(filepath.ToSlash(template), chartDir(in)))
	var words []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.Contains(line, ".Files.Get") {
			continue
		}
		for _, a := range actions(line) {
			for _, p := range valuesPaths(a) {
				if v, ok := valueAt(vals, p); ok && v != "" && strings.HasPrefix(p, "global.") {
					words = append(words, v)
				} else if v, ok := valueAt(vals, scope+p); ok && v != "" {
					words = append(words, v)
				}
			}
		}
	}
	var out []string
	for _, pl := range places {
		file, _, _ := strings.Cut(pl, ":")
		if slices.ContainsFunc(words, func(w string) bool {
			return slices.Contains(strings.Split(strings.TrimSuffix(file, path.Ext(file)), "/"), w)
		}) {
			out = append(out, pl)
		}
	}
	return out
}

// pathLine is the line of values file f that sets dotted path p, 0 when
// none does.
func pathLine(in *Input, f, p string) int {
	ps, _ := readValues(in.files(), filepath.Join(in.dir(), filepath.FromSlash(f)))
	for _, vp := range ps {
		if strings.Join(vp.Path, ".") == p {
			return vp.Line
		}
	}
	return 0
}

// varName reports an upper-case variable's name (PROD_DB_PASSWORD).
func varName(v string) bool {
	return strings.Contains(v, "_") && strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == "" && v[0] >= 'A' && v[0] <= 'Z'
}

// lineValue is the scalar a values file's line writes after its key,
// unquoted, when the maps it sits in spell values path p; not ok for a
// map, a list or a block scalar, or under another path.
func lineValue(in *Input, file string, line int, p string) (string, bool) {
	data, err := in.files().ReadFile(filepath.Join(in.dir(), file))
	if err != nil {
		return "", false
	}
	lines := strings.Split(string(data), "\n")
	if line > len(lines) || mapPath(lines, line) != p {
		return "", false
	}
	_, v, _ := strings.Cut(lines[line-1], ":")
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v[:1], "|>&*[{") {
		return "", false
	}
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return v, true
}

// mapPath is the dotted path of the key a line writes, read from the
// keys of lesser indent above it; "" inside a list.
func mapPath(lines []string, line int) string {
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	cur := lines[line-1]
	k, _, _ := strings.Cut(strings.TrimSpace(cur), ":")
	path, in := []string{strings.Trim(k, `"'`)}, indent(cur)
	for i := line - 2; i >= 0 && in > 0; i-- {
		t := strings.TrimSpace(lines[i])
		if t == "" || strings.HasPrefix(t, "#") || indent(lines[i]) >= in {
			continue
		}
		if strings.HasPrefix(t, "- ") {
			return ""
		}
		k, _, _ := strings.Cut(t, ":")
		path, in = append([]string{strings.Trim(k, `"'`)}, path...), indent(lines[i])
	}
	return strings.Join(path, ".")
}

// publicCertificate reports a certificate without its private key
// (tls.crt, ca.crt): a certificate is sent to every client, committing it
// reveals nothing. tls.key beside it is the secret.
func publicCertificate(key, value string) bool {
	if strings.Contains(value, "PRIVATE KEY") {
		return false
	}
	if strings.Contains(value, "-----BEGIN CERTIFICATE-----") {
		return true
	}
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value)); err == nil {
		return publicCertificate(key, string(b)) && !strings.Contains(string(b), "PRIVATE KEY")
	}
	return false
}

// committedSource reports a value written in clear in the repository: a
// values file's, or a literal the CI deploy command passes (--set-string
// secrets.dbPassword="chatbot" in a workflow, eval14 shopyverse), not a
// ${{ secrets.X }} or $VAR the pipeline fills in.
func committedSource(s render.Source) bool {
	return !s.Encrypted && (s.Kind == render.KindValues || s.Kind == render.KindCI && !s.CI)
}

func committedKind(k render.Kind) bool {
	return k == render.KindValues || k == render.KindTemplate || k == render.KindFile || k == render.KindUnknown
}

func checkPlaceholder(in *Input) []Finding {
	out := placeholderHosts(in)
	for _, e := range in.Envs {
		sev := Error
		if firstStep(in, e.Name) {
			sev = Warning
		}
		for _, en := range e.Result.Config.Entries {
			if en.External || e.entrySetByCI(en.Key) {
				continue
			}
			l := e.loc(en.Key, "")
			l.Value = firstLine(l.Value)
			if en.Secret {
				l.Value = secret.Shown(en.Key, en.Value, secret.Whole)
			}
			if unreplaced(e, en) {
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: en.Key, Severity: sev, Locations: []Location{l},
					Message: fmt.Sprintf("%s: %s is %s (set at %s): set the real value, or have the pipeline replace it.",
						e.Name, en.Key, shownPlaceholder(en), l.Source),
				})
				continue
			}
			if other, ok := realElsewhere(in, e, en); ok {
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: en.Key, Severity: sev, Locations: []Location{l, other.loc(en.Key, "")},
					Message: fmt.Sprintf("%s: %s is the bare word %q (set at %s) where %s sets a real value: set %s's own value.",
						e.Name, en.Key, en.Value, l.Source, other.Name, e.Name),
				})
			}
		}
		out = append(out, unreadSecretPlaceholders(in, e, sev)...)
		out = append(out, commandPlaceholders(in, e, sev)...)
		out = append(out, filePlaceholders(in, e, sev)...)
		if img := e.Result.Image; img != "" && !ciSetImage(e, img) {
			repo, tag, _ := imageRef(img)
			if l, part, ok := imagePlaceholder(e, repo); ok {
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: "image.repository", Severity: sev, Locations: []Location{l},
					Message: fmt.Sprintf("%s: the image registry or repository %q (set at %s) is a placeholder: set the real one.",
						e.Name, part, l.Source),
				})
			}
			if placeholderTag(e, tag) || strings.Contains(img, "${") && !setByCI(e, tag) {
				l := imageLoc(e, "tag", tag)
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: "image.tag", Severity: sev, Locations: []Location{l},
					Message: fmt.Sprintf("%s: image %s has the placeholder tag %q (set at %s): set the tag, or let ferry pin the digest at deploy time.",
						e.Name, img, tag, l.Source),
				})
			}
		}
	}
	return dedupe(out)
}

// unreadSecretPlaceholders are the placeholders in Secrets no pod of the
// chart reads (DB_PASSWORD: change-me-in-production, eval17
// msseguridad): what reads the Secret by name gets the placeholder just
// as a pod's envFrom would. A Secret a pod reads is judged above, with
// the container's entries.
func unreadSecretPlaceholders(in *Input, e *Env, sev Severity) []Finding {
	if len(e.Result.SecretValues) == 0 {
		return nil
	}
	// A per-container view holds one workload: what the others read is
	// the project's, and the Secret is reported once, from the view of
	// the environment's first container, not from every workload's.
	for in.parent != nil {
		in = in.parent
	}
	read := map[string]bool{}
	for _, pe := range in.Envs {
		if pe.Name != e.Name || pe.Result == nil {
			continue
		}
		if pe != e && !firstContainer(pe, e) {
			return nil
		}
		for _, w := range pe.Result.Workloads {
			for _, r := range w.Reads {
				read[r] = true
			}
		}
		mountedSecrets(pe, read)
	}
	var out []Finding
	for _, sv := range e.Result.SecretValues {
		if read["Secret/"+sv.Secret] || !isPlaceholder(sv.Value) || configFileKind(sv.Key) != "" {
			continue
		}
		if p := e.valuesPathOf(sv.Source.File, sv.Source.Line); p != "" {
			if _, ok := e.setByCI(p); ok {
				continue
			}
		}
		l := Location{Environment: e.Name, Key: sv.Key, Value: secret.Shown(sv.Key, "", secret.Whole), Source: sv.Source.String(), File: sv.Source.File, Line: sv.Source.Line}
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: sv.Key, Severity: sev, Locations: []Location{l},
			Message: fmt.Sprintf("%s: Secret %s key %s is an unreplaced placeholder (value redacted) (set at %s), which no pod of the chart reads but what reads the Secret by name gets: set the real value, or create the Secret outside the chart.",
				e.Name, sv.Secret, sv.Key, sv.Source),
		})
	}
	return out
}

// mountedSecrets marks in read the Secrets e's pods mount as volumes
// (secret.secretName, a projected source): a pod reads those too.
func mountedSecrets(e *Env, read map[string]bool) {
	for _, o := range e.Result.Objects {
		path := render.PodSpecPath(o.Kind)
		if path == nil {
			continue
		}
		vols, _ := digMap(o.Body, path...)["volumes"].([]any)
		for _, v := range vols {
			vm, _ := v.(map[string]any)
			if n := scalarString(digMap(vm, "secret")["secretName"]); n != "" {
				read["Secret/"+n] = true
			}
			srcs, _ := digMap(vm, "projected")["sources"].([]any)
			for _, src := range srcs {
				sm, _ := src.(map[string]any)
				if n := scalarString(digMap(sm, "secret")["name"]); n != "" {
					read["Secret/"+n] = true
				}
			}
		}
	}
}

// firstContainer reports whether view, a per-container view of env, holds
// env's first workload's first container.
func firstContainer(env, view *Env) bool {
	ws, vs := env.Result.Workloads, view.Result.Workloads
	return len(ws) > 0 && len(vs) == 1 && len(ws[0].Containers) > 0 && len(vs[0].Containers) > 0 &&
		ws[0].Kind == vs[0].Kind && ws[0].Name == vs[0].Name && ws[0].Containers[0].Name == vs[0].Containers[0].Name
}

// placeholderTag reports an image tag FERRY082 reports: a placeholder
// that the deploy command does not set.
func placeholderTag(e *Env, tag string) bool {
	return isPlaceholder(tag) && !setByCI(e, tag)
}

// setByCI reports an image tag the deploy command sets.
func setByCI(e *Env, tag string) bool {
	if _, ci := e.setByCI(imageLoc(e, "tag", tag).Key); ci {
		return true
	}
	// A tag a template computes ({{ default "latest" .Values.global.imageTag }})
	// has no values line: the pipeline's own expression rendered is the mark.
	if e.Spec != nil && tag != "" {
		for _, s := range e.Spec.Set {
			if s.ByCI && s.Value == tag {
				return true
			}
		}
	}
	return false
}

// unreplaced reports the entries FERRY082 reports as placeholders: a
// placeholder that CI does not fill in.
func unreplaced(e *Env, en render.Entry) bool {
	return !en.External && isPlaceholder(en.Value) && !e.entrySetByCI(en.Key) && !ciFilled(e, en.Value) && !e.tokenFilled(en.Value)
}

// tokenFilled reports a value holding a token that a step of the deploy's
// CI file replaces before it deploys (image: __imageName__ with Azure's
// replacetokens, tokenPrefix __).
func (e *Env) tokenFilled(v string) bool {
	if e.Spec == nil {
		return false
	}
	_, ok := e.Spec.TokenFilled(v)
	return ok
}

// ciFilled reports a value whose placeholders are all values the deploy
// command sets (Host=${{ secrets.DB_HOST }};Password=${{ secrets.DB_PW }}
// composed by a template from two --set paths): CI fills them in as it
// runs, so what is left once they are taken out decides.
func ciFilled(e *Env, v string) bool {
	if len(e.SetByCI) == 0 || e.Result == nil {
		return false
	}
	var parts []string
	for p := range e.SetByCI {
		if s, ok := valueAt(e.Result.Values, p); ok && s != "" && isPlaceholder(s) && strings.Contains(v, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return false
	}
	// The longest first: one CI value may hold another.
	slices.SortFunc(parts, func(a, b string) int { return len(b) - len(a) })
	for _, s := range parts {
		v = strings.ReplaceAll(v, s, "")
	}
	return !isPlaceholder(v)
}

// shownPlaceholder never prints a secret, not even a placeholder one
// ("changeme" is the password if it is deployed).
func shownPlaceholder(en render.Entry) string {
	if en.Secret {
		return "an unreplaced placeholder (value redacted)"
	}
	return fmt.Sprintf("the placeholder %q", firstLine(en.Value))
}

// credentialData reports a value of a Secret's data that is a
// credential: its key is named like one (DB_PASSWORD, apiKey) or its
// value is shaped like one (a URL with a password, a vendor token, a
// generated key, a short random one). Sitting in a Secret is not
// enough: charts put redirect URLs, model names and user names there.
func credentialData(key, value string) bool {
	w := splitWords(camelWords(key))
	// A user or database name (cloud-sql-user: admin) is not one even in
	// a key named SECRET_*, unless its value is itself a user:password.
	if len(w) > 0 && strings.Contains(" USER USERNAME LOGIN NAME DB DATABASE ", " "+w[len(w)-1]+" ") && len(secret.Passwords(value)) == 0 && !htpasswd(value) {
		return false
	}
	if credential(key, value) {
		return true
	}
	// An identifier (EVE_CLIENT_ID, a 32-hex OAuth client id) is public
	// whatever its shape; its secret is the key beside it.
	if len(w) > 0 && w[len(w)-1] == "ID" {
		return false
	}
	return secret.Is(key, value) || secret.ShortKey(value) || htpasswd(value)
}

// htpasswd reports an htpasswd line (ingress basic auth's auth:
// admin:$apr1$…): a password hash, which a committed file gives away to
// offline cracking.
func htpasswd(v string) bool {
	user, hash, _ := strings.Cut(v, ":")
	if user == "" || strings.ContainsAny(user, "/ @") {
		return false
	}
	for _, p := range []string{"$apr1$", "$2", "$5$", "$6$", "{SHA}"} {
		if strings.HasPrefix(hash, p) {
			return true
		}
	}
	return false
}

// camelWords separates camelCase words with '_': rootUser → root_User.
func camelWords(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// splitWords splits a key into upper-case words at '_', '-', '.' and '/'.
func splitWords(key string) []string {
	return strings.FieldsFunc(strings.ToUpper(key), func(r rune) bool {
		return r == '_' || r == '-' || r == '.' || r == '/'
	})
}

// bareWords stand for a value in examples and templates: DS_HOST: host,
// DB_NAME: dsname.
var bareWords = map[string]bool{
	"host": true, "hostname": true, "dbhost": true, "server": true, "servername": true, "endpoint": true,
	"address": true, "url": true, "dsname": true, "dbname": true, "database": true, "value": true,
	"dummy": true, "placeholder": true, "foo": true, "bar": true, "string": true, "username": true,
}

// bareWord reports a value that is a generic word or the key's own name
// (DS_HOST: host, DS_NAME: dsname, DB_USER: user).
func bareWord(key, v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" || strings.ContainsAny(v, ".:/@ ") {
		return false
	}
	if bareWords[v] {
		return true
	}
	words := splitWords(camelWords(key))
	if len(words) < 2 || !roleWords[words[len(words)-1]] {
		return false
	}
	return v == strings.ToLower(words[len(words)-1]) || v == strings.ToLower(strings.Join(words, ""))
}

// roleWords end keys whose value a template spells as the key itself.
var roleWords = map[string]bool{
	"HOST": true, "HOSTNAME": true, "NAME": true, "USER": true, "USERNAME": true, "DATABASE": true,
	"DB": true, "SERVER": true, "ENDPOINT": true, "URL": true, "ADDR": true, "ADDRESS": true, "SCHEMA": true,
}

// realElsewhere returns an environment where key has a real value while
// e has a bare word: the word was a stand-in someone forgot to replace.
func realElsewhere(in *Input, e *Env, en render.Entry) (*Env, bool) {
	if en.Secret || !bareWord(en.Key, en.Value) {
		return nil, false
	}
	for _, o := range in.Envs {
		if o == e {
			continue
		}
		if v, ok := o.value(en.Key); ok && !bareWord(en.Key, v) && !isPlaceholder(v) {
			return o, true
		}
	}
	return nil, false
}

func checkEmptiedValue(in *Input) []Finding {
	if in.Project == nil || len(in.Project.Path) < 2 {
		return nil
	}
	var out []Finding
	for i, name := range in.Project.Path {
		e := envNamed(in, name)
		if e == nil || e.Result == nil {
			continue
		}
		for _, en := range e.Result.Config.Entries {
			// Only an environment's own file empties a value; a base
			// layer's "" is a default the earlier environment overrode.
			if en.Value != "" || en.External || en.Missing {
				continue
			}
			src := en.Source
			if src.Kind != render.KindValues {
				// "" leaves no trace in a template; the values path that
				// holds it does.
				src = e.emptySource(en.Key)
			}
			if src.Kind != render.KindValues {
				// Nor could render tell the template line (the key is
				// named on two lines of it, a comment and the data): the
				// line of the chart's templates that names the key and
				// reads an empty values path.
				src = e.emptyViaTemplate(in, en.Key, en.Source.File)
			}
			if src.Kind != render.KindValues || baseLayer(e, src.File) {
				continue
			}
			var earlier *Env
			for _, prev := range in.Project.Path[:i] {
				if p := envNamed(in, prev); p != nil {
					if _, ok := p.value(en.Key); ok {
						earlier = p
					}
				}
			}
			if earlier == nil {
				continue
			}
			if v, _ := earlier.value(en.Key); pathPrefix(en.Key, v) {
				// A path prefix emptied serves the later environment at
				// "/" (its own host, no shared gateway): a choice, not a
				// value lost.
				continue
			}
			l := e.loc(en.Key, "")
			l.Value, l.Source, l.File, l.Line = `""`, src.String(), src.File, src.Line
			el := earlier.loc(en.Key, "")
			if en.Secret || secret.Name(en.Key) {
				el.Value = secret.Shown(en.Key, "", secret.Whole)
			}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key, Locations: []Location{l, el},
				Message: fmt.Sprintf("%s: %s is empty (set at %s) where %s sets it (%s): set %s's real value, or delete the key there.",
					e.Name, en.Key, src, earlier.Name, el.Source, e.Name),
			})
		}
	}
	return out
}

// prefixKeys end the names of keys that hold a URL path prefix.
var prefixKeys = map[string]bool{"PREFIX": true, "BASEPATH": true, "CONTEXTPATH": true, "ROOTPATH": true, "SUBPATH": true, "BASEHREF": true}

// pathPrefix reports a key that names a path prefix (MEDIA_SERVER_PREFIX,
// BASE_PATH, server.servlet.context-path) holding a URL path (/media):
// emptying one is how an environment is served at the root.
func pathPrefix(key, v string) bool {
	if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.ContainsAny(v, " ?#@") {
		return false
	}
	words := splitWords(camelWords(key))
	n := len(words)
	if n == 0 {
		return false
	}
	if prefixKeys[words[n-1]] {
		return true
	}
	return n > 1 && words[n-1] == "PATH" && prefixKeys[words[n-2]+"PATH"]
}

// envNamed returns the rendered environment called name.
func envNamed(in *Input, name string) *Env {
	for _, e := range in.Envs {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// emptySource finds the values line that set key to "": a values path
// ending in key whose value is empty, the environment's own file first.
// The zero Source when there is none or it cannot be told which.
func (e *Env) emptySource(key string) render.Source {
	var found []render.Source
	for p, src := range e.Result.ValueSources {
		if p != key && !strings.HasSuffix(p, "."+key) {
			continue
		}
		if v, ok := valueAt(e.Result.Values, p); ok && v == "" {
			found = append(found, src)
		}
	}
	if len(found) != 1 {
		return render.Source{}
	}
	return found[0]
}

// emptyViaTemplate finds the values path set to "" that a template line
// naming key reads ({{ .Values.config.appBaseUrl | quote }} beside
// APP_BASE_URL:), in tpl when render named the template, else in any of
// the chart's templates. The zero Source unless exactly one path fits.
func (e *Env) emptyViaTemplate(in *Input, key, tpl string) render.Source {
	if in.Project == nil || in.Project.Chart == "" || e.Result == nil {
		return render.Source{}
	}
	var empty []string
	for p, src := range e.Result.ValueSources {
		if v, ok := valueAt(e.Result.Values, p); ok && v == "" && src.Kind == render.KindValues {
			empty = append(empty, p)
		}
	}
	if len(empty) == 0 {
		return render.Source{}
	}
	var files []string
	if tpl != "" && strings.HasPrefix(tpl, in.Project.Chart) {
		files = []string{filepath.Join(in.Project.Dir, filepath.FromSlash(tpl))}
	} else {
		dir := filepath.Join(in.Project.Dir, filepath.FromSlash(in.Project.Chart), "templates")
		_ = in.files().WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
	}
	found := map[string]bool{}
	for _, f := range files {
		data, err := in.files().ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.Contains(l, key) || strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			for _, p := range empty {
				if readsPath(l, p) {
					found[p] = true
				}
			}
		}
	}
	if len(found) != 1 {
		return render.Source{}
	}
	for p := range found {
		return e.Result.ValueSources[p]
	}
	return render.Source{}
}

// readsPath reports whether a template line reads .Values.p itself, not a
// longer path that starts with it.
func readsPath(line, p string) bool {
	ref := ".Values." + p
	for i := 0; ; {
		j := strings.Index(line[i:], ref)
		if j < 0 {
			return false
		}
		end := i + j + len(ref)
		if end == len(line) || !(isIdent(line[end]) || line[end] == '.') {
			return true
		}
		i = end
	}
}

func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// valueAt returns the string at a dotted values path.
func valueAt(vals map[string]any, p string) (string, bool) {
	var cur any = vals
	for _, seg := range strings.Split(p, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur = m[seg]
	}
	s, ok := cur.(string)
	return s, ok
}

// placeholderHosts reports Ingress hosts that are placeholders
// (api.yourdomain.com, app.example.com). Ingresses belong to the chart,
// not a container: only the service's own view reports them.
func placeholderHosts(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		if w := e.primary(); in.parent != nil && (w == nil || len(w.Containers) == 0 || !w.Containers[0].Primary) {
			continue
		}
		sev := Error
		if firstStep(in, e.Name) {
			sev = Warning
		}
		for _, o := range e.Result.Objects {
			seen := map[string]bool{}
			for _, h := range routeHosts(o) {
				if seen[h] || !isPlaceholder(h) || hostSetByCI(e, h) {
					continue
				}
				seen[h] = true
				l := Location{Environment: e.Name, Key: "ingress host", Value: h, Source: "template " + o.Template, File: o.Template}
				if src, p, ok := e.valuesHolding(h); ok {
					l = Location{Environment: e.Name, Key: p, Value: h, Source: src.String(), File: src.File, Line: src.Line}
				} else if f, line := hostItemLine(in, e, h); line > 0 {
					l = Location{Environment: e.Name, Key: "host", Value: h, Source: fmt.Sprintf("%s:%d", f, line), File: f, Line: line}
				}
				out = append(out, Finding{
					Environments: []string{e.Name}, Key: "ingress.host", Severity: sev, Locations: []Location{l},
					Message: fmt.Sprintf("%s: %s %s serves the placeholder host %q (set at %s): set the environment's real host.",
						e.Name, o.Kind, o.Name, h, l.Source),
				})
			}
		}
	}
	return out
}

// routeHosts lists the host names an object routes: an Ingress's, a
// Contour HTTPProxy's or IngressRoute's virtualhost.fqdn, a Gateway API
// route's hostnames, an Istio VirtualService's or Gateway's hosts; none
// for any other object.
func routeHosts(o render.Object) []string {
	spec, _ := o.Body["spec"].(map[string]any)
	strs := func(v any) []string {
		var out []string
		l, _ := v.([]any)
		for _, x := range l {
			if s, ok := x.(string); ok && s != "" && s != "*" {
				out = append(out, s)
			}
		}
		return out
	}
	switch o.Kind {
	case "Ingress":
		return ingressHosts(o.Body)
	case "HTTPProxy", "IngressRoute":
		vh, _ := spec["virtualhost"].(map[string]any)
		if f, ok := vh["fqdn"].(string); ok && f != "" {
			return []string{f}
		}
	case "HTTPRoute", "GRPCRoute", "TLSRoute":
		return strs(spec["hostnames"])
	case "VirtualService":
		return strs(spec["hosts"])
	case "Gateway":
		var out []string
		servers, _ := spec["servers"].([]any)
		for _, sv := range servers {
			m, _ := sv.(map[string]any)
			out = append(out, strs(m["hosts"])...)
		}
		return out
	}
	return nil
}

// ingressHosts lists an Ingress's rule and TLS hosts.
func ingressHosts(body map[string]any) []string {
	var out []string
	spec, _ := body["spec"].(map[string]any)
	rules, _ := spec["rules"].([]any)
	for _, r := range rules {
		if m, ok := r.(map[string]any); ok {
			if h, ok := m["host"].(string); ok && h != "" {
				out = append(out, h)
			}
		}
	}
	tls, _ := spec["tls"].([]any)
	for _, t := range tls {
		m, _ := t.(map[string]any)
		hs, _ := m["hosts"].([]any)
		for _, h := range hs {
			if s, ok := h.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// valuesHolding finds the one values path whose value is v, and the line
// that set it; ok is false when none or several hold it, so a line is
// never guessed.
func (e *Env) valuesHolding(v string) (render.Source, string, bool) {
	var found []string
	for p := range e.Result.ValueSources {
		if got, ok := valueAt(e.Result.Values, p); ok && got == v {
			found = append(found, p)
		}
	}
	// The one path found must be the one leaf holding v: a list item
	// (ingress.hosts[0].host) has no dotted path, and the same host there
	// and under service.client.host must not cite the latter's line.
	if len(found) != 1 || countLeaves(e.Result.Values, v) != 1 {
		return render.Source{}, "", false
	}
	return e.Result.ValueSources[found[0]], found[0], true
}

// commandPlaceholders reports a placeholder in a container's command or
// args (-instances=XXX=tcp:5432 for a Cloud SQL proxy), at the line of
// the template or values file that writes it. Shell and Ruby expansions
// (${VAR}, #{x}) and dunder names are the command's own.
func commandPlaceholders(in *Input, e *Env, sev Severity) []Finding {
	var out []Finding
	for _, w := range e.Result.Workloads {
		for _, c := range w.Containers {
			for _, word := range c.Command {
				for _, tok := range strings.Fields(scriptCode(word)) {
					for _, part := range strings.Split(strings.Trim(tok, `"'`), "=") {
						// A credential beside it is FERRY094's, and never printed.
						if strings.ContainsAny(part, "${}#") || strings.HasPrefix(part, "__") || !isPlaceholder(part) ||
							len(secret.Passwords(part)) > 0 || len(commandSecrets([]string{tok})) > 0 {
							continue
						}
						// The line that writes the word whole, else the one
						// values line that writes the placeholder.
						l := writtenAt(in, e, c.Template, tok, part)
						l.Key, l.Value = "command", part
						out = append(out, Finding{
							Environments: []string{e.Name}, Key: l.Key, Severity: sev, Locations: []Location{l}, Workload: w.Kind + "/" + w.Name,
							Message: fmt.Sprintf("%s: container %s of %s/%s runs with the placeholder %q in its command (set at %s): set the real value.",
								e.Name, c.Name, w.Kind, w.Name, part, l.Source),
						})
					}
				}
			}
		}
	}
	return out
}

// scriptCode is a command word without what its script only says: a
// comment, and the text an echo or printf prints (echo "Example: kubectl
// create secret generic <name> …" in a hook, eval17 Stratum) is no
// configuration value.
func scriptCode(word string) string {
	if !strings.Contains(word, "echo") && !strings.Contains(word, "printf") && !strings.Contains(word, "#") {
		return word
	}
	lines := strings.Split(word, "\n")
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") {
			lines[i] = ""
			continue
		}
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		for _, cmd := range []string{"echo ", "printf "} {
			if j := strings.Index(line, cmd); j >= 0 && (j == 0 || strings.ContainsAny(line[j-1:j], " \t;&|(")) {
				line = line[:j]
			}
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// writtenAt locates a rendered text of e: the one line of the template
// or e's values files that writes the first of texts any of them holds,
// else the template without a line, never a guessed one.
func writtenAt(in *Input, e *Env, template string, texts ...string) Location {
	l := Location{Environment: e.Name, Source: "template " + template, File: template}
	files := []string{template}
	if e.Spec != nil {
		files = append(files, e.Spec.Values...)
	}
	for _, text := range texts {
		var found []Location
		for _, f := range files {
			if line := textLine(in.files(), filepath.Join(in.dir(), f), text); line > 0 {
				f = filepath.ToSlash(f)
				found = append(found, Location{Environment: e.Name, Source: fmt.Sprintf("%s:%d", f, line), File: f, Line: line})
			}
		}
		if len(found) == 1 {
			return found[0]
		}
		if len(found) > 1 {
			break
		}
	}
	return l
}

// hostItemLine locates a host a list item sets (ingress.hosts[0].host
// has no dotted values path): when the values hold one item with host h,
// the one `host: h` line of the last of e's values files that writes it.
func hostItemLine(in *Input, e *Env, h string) (string, int) {
	if e.Spec == nil || hostItems(e.Result.Values, h) != 1 {
		return "", 0
	}
	for i := len(e.Spec.Values) - 1; i >= 0; i-- {
		f := filepath.ToSlash(e.Spec.Values[i])
		if line, n := itemKeyLines(in.files(), in.dir(), f, "host", h); n == 1 {
			return f, line
		} else if n > 1 {
			break // which of them is the item's cannot be told
		}
	}
	return "", 0
}

// hostItems counts the maps under v whose host is h.
func hostItems(v any, h string) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		if x["host"] == h {
			n++
		}
		for _, c := range x {
			n += hostItems(c, h)
		}
	case []any:
		for _, c := range x {
			n += hostItems(c, h)
		}
	}
	return n
}

// hostSetByCI reports a host the deploy command sets with --set from
// what CI fills in (ingress.host=${{ github.event.pull_request.number }}-app.example.org):
// CI's to replace, as any other value it sets.
func hostSetByCI(e *Env, h string) bool {
	if e.Spec == nil || !project.IsCIExpr(h) {
		return false
	}
	for _, s := range e.Spec.Set {
		if s.ByCI && s.Value != "" && strings.Contains(h, s.Value) {
			return true
		}
	}
	return false
}

// countLeaves counts the string leaves of v equal to s, lists included.
func countLeaves(v any, s string) int {
	switch x := v.(type) {
	case map[string]any:
		n := 0
		for _, c := range x {
			n += countLeaves(c, s)
		}
		return n
	case []any:
		n := 0
		for _, c := range x {
			n += countLeaves(c, s)
		}
		return n
	case string:
		if x == s {
			return 1
		}
	}
	return 0
}

// placeholderImagePart locates the part of an image reference that is a
// placeholder: the values path it was built from whose own value is one
// (global.imageRegistry: registry.example.com), else the repository.
func placeholderImagePart(e *Env, repo string) (Location, string) {
	if w := e.primary(); w != nil && len(w.Containers) > 0 {
		for _, p := range imageContainer(e).ImageFrom {
			if v, ok := valueAt(e.Result.Values, p); ok && isPlaceholder(v) {
				return e.valuesLoc(p, v), v
			}
		}
	}
	return imageLoc(e, "repository", repo), repo
}

// imagePlaceholder locates an image registry or repository that is a
// placeholder, unless the deploy command's --set fills it in as CI runs
// (${ECR_REGISTRY}/${ECR_REPOSITORY}): that is CI's to replace, as a tag.
func imagePlaceholder(e *Env, repo string) (Location, string, bool) {
	if !isPlaceholder(repo) || e.tokenFilled(repo) {
		return Location{}, "", false
	}
	l, part := placeholderImagePart(e, repo)
	if _, ci := e.setByCI(l.Key); ci {
		return Location{}, "", false
	}
	return l, part, true
}
