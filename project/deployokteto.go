package project

import "go.yaml.in/yaml/v3"

// oktetoLines reads an Okteto manifest's deploy: commands, each a
// string or a {name, command} entry, listed under deploy: or under its
// commands:, as shell lines a CI job runs: Okteto's own variables
// (${OKTETO_BUILD_WEB_REPOSITORY}) are filled in when it deploys.
func oktetoLines(data []byte) []shellLine {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	deploy := mapValue(doc.Content[0], "deploy")
	if c := mapValue(deploy, "commands"); c != nil {
		deploy = c
	}
	if deploy == nil || deploy.Kind != yaml.SequenceNode {
		return nil
	}
	var out []shellLine
	for _, it := range deploy.Content {
		if it.Kind == yaml.MappingNode {
			it = mapValue(it, "command")
		}
		out = append(out, blockLines(it, shellLine{hint: "okteto", shell: len(out) + 1})...)
	}
	return out
}
