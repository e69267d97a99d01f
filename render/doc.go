// Package render computes what each environment will really run: it
// renders the chart with the Helm SDK (values.yaml, then the environment's
// values files, with Helm's own coalescing), resolves every container's
// env, envFrom and valueFrom against the rendered ConfigMaps and Secrets,
// and lays that process environment over the GoFr file layer baked into
// the image (configs/.env and the overlay its APP_ENV selects).
//
// Every key of the result carries its value, the file:line that set it,
// whether it is secret, and what it shadows. Secret values are kept so
// that checks can compare them, but callers must never print them: use
// Entry.Display.
package render
