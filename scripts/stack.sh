#!/usr/bin/env bash
# stack.sh up|down|status: the local stack of `make up`/`make demo`: the
# Temporal dev server (gRPC 127.0.0.1:7233, Web UI 8233, SQLite under
# .tools/), Azurite (blob 127.0.0.1:10000) and a worker. `up` starts only what
# does not already answer and records the process IDs it started, each with
# its start time; `down` stops only those, and only while the recorded PID
# still is the process it started (same start time): a stale PID file, whose
# PID the system has since given to another process, is removed unsignalled.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
RUN="$TOOLS/run"
mkdir -p "$RUN"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# started_at PID: the start time of process PID (clock ticks after boot,
# from /proc; else ps's lstart), which tells one process with that PID from
# a later one. Prints nothing when there is no such process.
started_at() {
	local s
	if [ -r "/proc/$1/stat" ]; then
		s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
		s=${s##*) } # the fields after "(comm)", which may hold spaces
		# shellcheck disable=SC2086
		set -- $s
		echo "${20}" # field 22 of stat: starttime
	else
		ps -o lstart= -p "$1" 2>/dev/null | tr -s ' ' | sed 's/^ //' || true
	fi
}

# record NAME PID: the PID file holds "PID START".
record() {
	echo "$2 $(started_at "$2")" >"$RUN/$1.pid"
}

# running NAME: prints the recorded PID when it is still the process that
# was started (a live PID with the recorded start time); else nothing.
running() {
	local f="$RUN/$1.pid" pid start now
	[ -f "$f" ] || return 0
	read -r pid start <"$f" || true
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	[ -n "${start:-}" ] || return 0
	now=$(started_at "$pid")
	[ -n "$now" ] && [ "$now" = "$start" ] && echo "$pid"
	return 0
}

wait_port() {
	for _ in $(seq 1 300); do
		answers "$2" && return 0
		sleep 0.2
	done
	echo "$1 did not answer on port $2; see $RUN/$1.log" >&2
	exit 1
}

# start_worker NAME BINARY: a worker process, unless NAME runs already;
# it returns once the worker polls.
start_worker() {
	local name=$1 log="$RUN/$1.log"
	if [ -n "$(running "$name")" ]; then
		echo "    $name already running (pid $(running "$name"))"
		return 0
	fi
	# The dev server is on this machine: requests need no gzip. The demo's
	# worker runs the script snapshots its user submits (starter submit,
	# starter run --pipeline), with the repo's Python client and Debian's
	# python3 (scikit-learn, pandas, matplotlib) first on its PATH.
	PIPELINE_GRPC_COMPRESSION="${PIPELINE_GRPC_COMPRESSION:-none}" \
		PIPELINE_SCRIPT_SNAPSHOTS="${PIPELINE_SCRIPT_SNAPSHOTS:-on}" \
		PIPELINE_SCRIPT_CLIENT="${PIPELINE_SCRIPT_CLIENT:-$PWD/python}" \
		PATH="/usr/bin:$PATH" \
		setsid "$2" >"$log" 2>&1 </dev/null &
	record "$name" $!
	for _ in $(seq 1 100); do
		grep -q "worker started" "$log" && break
		[ -n "$(running "$name")" ] || { cat "$log" >&2; exit 1; }
		sleep 0.2
	done
	echo "    $name started (pid $(running "$name")), log $log"
}

start() { # name port command...
	local name=$1 port=$2
	shift 2
	if answers "$port"; then
		echo "    $name already answers on 127.0.0.1:$port"
		return
	fi
	setsid "$@" >"$RUN/$name.log" 2>&1 </dev/null &
	record "$name" $!
	wait_port "$name" "$port"
	echo "    $name started (pid $(running "$name")) on 127.0.0.1:$port"
}

stop() { # name
	local f="$RUN/$1.pid"
	[ -f "$f" ] || return 0
	local pid
	pid=$(running "$1")
	if [ -z "$pid" ]; then
		echo "    $1: stale PID file ($(cat "$f")): that process is gone or another one now has its PID; not signalled"
	elif kill -0 "$pid" 2>/dev/null; then
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL -- "-$pid" 2>/dev/null || true
		echo "    stopped $1 (pid $pid)"
	fi
	rm -f "$f"
}

case "${1:-}" in
up)
	echo "==> starting the stack"
	sa=()
	for a in Experiment=Keyword BestModel=Keyword Accuracy=Double ModelRegistered=Bool ModelVersion=Int; do
		sa+=(--search-attribute "$a")
	done
	# SQLite in WAL mode: see walPragmas in internal/devstack/devserver.go.
	start temporal 7233 "$TOOLS/bin/temporal" server start-dev --ip 127.0.0.1 --port 7233 --ui-port 8233 \
		--db-filename "$TOOLS/temporal.db" --log-level warn "${sa[@]}" \
		--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
		--dynamic-config-value system.enableActivityEagerExecution=true \
		--dynamic-config-value system.enableEagerWorkflowStart=true
	start azurite 10000 "$TOOLS/azurite/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort 10000 \
		--location "$TOOLS/azurite-data" --silent --skipApiVersionCheck --loose --disableTelemetry
	echo "    Web UI: http://localhost:8233"
	;;
worker)
	start_worker worker "$2"
	;;
workers) # workers N binary: N workers in all (worker, worker-2, …)
	start_worker worker "$3"
	for i in $(seq 2 "$2"); do
		start_worker "worker-$i" "$3"
	done
	;;
down)
	echo "==> stopping what make up / make demo started"
	for f in "$RUN"/worker-*.pid; do
		[ -e "$f" ] && stop "$(basename "$f" .pid)"
	done
	stop worker
	stop azurite
	stop temporal
	;;
*)
	echo "usage: $0 up|worker <binary>|workers <n> <binary>|down" >&2
	exit 2
	;;
esac
