package view

import "github.com/ferrydev/ferry/project"

// Project names, at the top of every JSON output, the project a command
// read: the service, the directory as the user gave it (-C), the chart
// (relative to it; "" for a configs/-only project) and the runtime ferry
// detected. Scripts reading several projects' outputs tell them apart by
// it.
type Project struct {
	Name    string `json:"name"`
	Dir     string `json:"dir"`
	Chart   string `json:"chart"`
	Runtime string `json:"runtime"`
}

// NewProject is p as outputs name it; dir is the directory as the user
// gave it, so two runs on one checkout print the same.
func NewProject(dir string, p *project.Project) *Project {
	return &Project{Name: p.Service, Dir: dir, Chart: p.Chart, Runtime: p.Runtime}
}
