// Package cli holds ferry's cobra commands: flags, argument checks and
// output formats. Commands call into the library packages (render, check,
// artifact, promote, target) and hold no business logic of their own.
//
// Exit codes are chosen in one place, Main:
//
//	0   ok
//	1   the command's check failed: error findings, unhealthy, drift, gate not met
//	2   usage or bad input (the message names file:line where there is one)
//	3   the target failed (process or cluster error)
//	130 interrupted
package cli
