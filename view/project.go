package view

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
