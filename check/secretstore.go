package check

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// A secret store two environments read is one set of secrets: dev's pods
// get prod's database password. The Secrets Store CSI driver's
// SecretProviderClass names the store outright (an Azure Key Vault, AWS
// secret ARNs, Google secret resource names), each unique to one account.

func init() {
	register(Rule{
		ID: "FERRY093", Name: "shared-secret-store", Severity: Error,
		Summary: "Two environments read their secrets from the same secret store",
		Help: "A SecretProviderClass names where the pod's secrets come from: an Azure Key Vault " +
			"(keyvaultName), AWS Secrets Manager or Parameter Store ARNs, Google Secret Manager " +
			"resource names. Two environments that name the same one read the same secrets, so a " +
			"development pod holds production's credentials. Give each environment its own vault or " +
			"secrets, set in its own values file.",
		Check: checkSharedSecretStore,
	})
}

// secretStore is one store an environment reads, as "azure-keyvault
// NAME", "aws ARN" or "gcp RESOURCE".
type secretStore struct {
	id, what, value string
	object, tpl     string
}

var (
	awsSecretARN   = lazyre.New(`arn:aws[\w-]*:(?:secretsmanager|ssm):[\w-]+:\d{12}:(?:secret:|parameter/)[\w/+=.@-]+`)
	gcpSecretName  = lazyre.New(`projects/[\w-]+/secrets/[\w-]+`)
	azureVaultName = lazyre.New(`^[A-Za-z][A-Za-z0-9-]{2,23}$`)
)

// secretStores lists the stores e's SecretProviderClasses read.
func secretStores(e *Env) []secretStore {
	var out []secretStore
	for _, o := range e.Result.Objects {
		if o.Kind != "SecretProviderClass" {
			continue
		}
		spec, _ := o.Body["spec"].(map[string]any)
		params, _ := spec["parameters"].(map[string]any)
		add := func(id, what, value string) {
			out = append(out, secretStore{id: id, what: what, value: value, object: "SecretProviderClass/" + o.Name, tpl: o.Template})
		}
		switch provider, _ := spec["provider"].(string); provider {
		case "azure":
			if v, _ := params["keyvaultName"].(string); azureVaultName.Get().MatchString(v) && !strings.Contains(v, "{{") {
				add("azure-keyvault "+strings.ToLower(v), "the Azure Key Vault", v)
			}
		case "aws":
			objs, _ := params["objects"].(string)
			for _, arn := range uniq(awsSecretARN.Get().FindAllString(objs, -1)) {
				add("aws "+arn, "the AWS secret", arn)
			}
		case "gcp":
			secrets, _ := params["secrets"].(string)
			for _, name := range uniq(gcpSecretName.Get().FindAllString(secrets, -1)) {
				add("gcp "+name, "the Google secret", name)
			}
		}
	}
	return out
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func checkSharedSecretStore(in *Input) []Finding {
	byID := map[string][]*Env{}
	stores := map[string]map[*Env]secretStore{}
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, s := range secretStores(e) {
			if stores[s.id] == nil {
				stores[s.id] = map[*Env]secretStore{}
			}
			if _, seen := stores[s.id][e]; !seen {
				byID[s.id] = append(byID[s.id], e)
				stores[s.id][e] = s
			}
		}
	}
	ids := make([]string, 0, len(byID))
	for id, envs := range byID {
		if len(envs) > 1 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []Finding
	for _, id := range ids {
		envs := byID[id]
		first := stores[id][envs[0]]
		var ls []Location
		for _, e := range envs {
			ls = append(ls, storeLoc(e, stores[id][e]))
		}
		out = append(out, Finding{
			Environments: names(envs), Key: first.object, Locations: ls,
			Message: fmt.Sprintf("%s read their secrets from %s %s (%s, set at %s): each environment's pods get the same secrets, so %s's credentials reach %s; give each environment its own store in its own values file.",
				andList(names(envs)), first.what, first.value, first.object, storeSources(envs, stores[id]), envs[len(envs)-1].Name, andList(names(envs[:len(envs)-1]))),
		})
	}
	return out
}

// storeLoc is where e's values set the store's name: the one values
// path whose value is exactly that name (a long, unique string), else
// the template that renders the SecretProviderClass, with no line.
func storeLoc(e *Env, s secretStore) Location {
	var paths []string
	for p := range e.Result.ValueSources {
		if v, ok := valueAt(e.Result.Values, p); ok && v == s.value {
			paths = append(paths, p)
		}
	}
	if len(paths) == 1 && len(s.value) >= 8 {
		return e.valuesLoc(paths[0], s.value)
	}
	return Location{Environment: e.Name, Key: s.object, Value: s.value, Source: "template " + s.tpl, File: s.tpl}
}

func storeSources(envs []*Env, stores map[*Env]secretStore) string {
	var parts []string
	for _, e := range envs {
		parts = append(parts, e.Name+": "+storeLoc(e, stores[e]).Source)
	}
	return strings.Join(parts, ", ")
}
