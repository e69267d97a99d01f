// Package serve is `ferry serve`: one process that shows the pipeline as
// a page, answers the JSON API and GoFr's REMOTE_LOG_URL, scrapes the
// soaking environments' metrics, and performs promote, rollback and log
// level changes from the page.
//
// The page is server-rendered (html/template) and works without
// JavaScript; a little embedded script re-renders the board when the
// server says over Server-Sent Events that something changed. Every asset
// is embedded: no CDN, no build step.
//
// Reads need no token on a loopback address; anything else needs the
// token, checked on every request in constant time. Actions — their
// previews too — always need the token, a same-origin request and a
// confirmation step, and are recorded with who. On loopback only
// loopback Host headers (and the names given with --host) are answered,
// so a page elsewhere cannot reach the server through DNS rebinding. A
// kept token that others may have seen (committed, readable by others,
// another user's) is replaced.
package serve
