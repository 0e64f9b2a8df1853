// Package script runs one script step's process and serves it the run
// context over the bridge of PROTOCOL.md. It knows processes, folders and
// the bridge protocol, and nothing of Temporal or of any pipeline: what a
// script records reaches a Recorder, which the caller (package runctx)
// implements with the step's run.
//
// A Step is one process in a fresh folder:
//
//	<step folder>/work/              a copy of the source directory, the working directory
//	<step folder>/work/outputs/      uploaded as the run's files when the script ends
//	<step folder>/work/logs/         the same; std_log.txt is written there
//	<step folder>/inputs/<name>/…    each input, at a path that ends with /<container>/<path>
//	<step folder>/data/<name>/       each named output, empty at the start
//
// The process runs in its own process group (Setpgid). The whole group is
// sent SIGTERM, then SIGKILL after Options.KillGrace, when the step's
// context ends (cancellation, timeout, the worker's stop), and SIGKILL when
// the main process exits, so a forked child never outlives its step. (A
// child that leaves the group with setsid escapes this; a cgroup would be
// needed to catch it.)
//
// Its environment is an allow-list (AllowedEnv) plus the step's own Env and
// the run context (PROTOCOL.md); nothing else of the worker's environment,
// so none of its credentials, reaches a script.
//
// stdout and stderr go, interleaved, to logs/std_log.txt, bounded: the first
// and the last half of Options.LogLimit bytes (DefaultLogLimit) are kept,
// and a marker between them counts the bytes dropped.
package script
