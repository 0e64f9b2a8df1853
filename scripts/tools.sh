#!/usr/bin/env bash
# tools.sh installs the pinned tools under .tools/ when they are missing:
# the Temporal CLI (dev server) and Azurite; and, system-wide, Debian's
# chromium package for the browser test (testsuite/browser_test.go).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
TEMPORAL_VERSION=v1.5.1
AZURITE_VERSION=3.37.0
mkdir -p "$TOOLS/bin"

# go install stamps no version into the binary, so a marker file records it.
if [ ! -x "$TOOLS/bin/temporal" ] || [ "$(cat "$TOOLS/bin/temporal.version" 2>/dev/null)" != "$TEMPORAL_VERSION" ]; then
	echo "==> installing Temporal CLI $TEMPORAL_VERSION into .tools/bin (go install; the first build takes about 4 minutes on 2 cores)"
	GOBIN="$TOOLS/bin" go install -v "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_VERSION" 2>&1 |
		awk '{ n++; if (n % 25 == 0) { printf "    ... %d packages built (%s)\n", n, $0; fflush() } } END { if (n > 0) printf "    %d packages built\n", n }'
	echo "$TEMPORAL_VERSION" >"$TOOLS/bin/temporal.version"
	"$TOOLS/bin/temporal" --version
fi

if [ "$("$TOOLS/azurite/node_modules/.bin/azurite-blob" --version 2>/dev/null)" != "$AZURITE_VERSION" ]; then
	echo "==> installing Azurite $AZURITE_VERSION into .tools/azurite (npm)"
	mkdir -p "$TOOLS/azurite"
	npm install --prefix "$TOOLS/azurite" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION"
	echo "    azurite-blob $("$TOOLS/azurite/node_modules/.bin/azurite-blob" --version)"
fi

# Script steps run Python on the worker, and their tests (and the Python
# client's) use Debian's python3 with scikit-learn, pandas and matplotlib.
PY_PACKAGES=(python3 python3-sklearn python3-pandas python3-matplotlib)
if ! /usr/bin/python3 -c 'import sklearn, pandas, matplotlib' >/dev/null 2>&1; then
	echo "==> installing ${PY_PACKAGES[*]} (Debian packages) for script steps"
	PSUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			PSUDO=(sudo)
		else
			echo "tools.sh: installing ${PY_PACKAGES[*]} needs root (no sudo here): run 'apt-get install ${PY_PACKAGES[*]}' as root" >&2
			exit 1
		fi
	fi
	py_install() { "${PSUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PY_PACKAGES[@]}"; }
	if ! apt-cache policy python3-sklearn 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		"${PSUDO[@]}" apt-get update -q
	fi
	if ! py_install; then
		"${PSUDO[@]}" apt-get update -q
		py_install
	fi
	echo "    $(/usr/bin/python3 -c 'import sklearn; print("scikit-learn", sklearn.__version__)')"
fi

# The browser test drives headless Chromium; Debian's package puts it at
# /usr/bin/chromium. apt-get needs root: sudo when we are not root.
if [ ! -x /usr/bin/chromium ]; then
	echo "==> installing chromium (Debian package) for the browser test"
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			SUDO=(sudo)
		else
			echo "tools.sh: /usr/bin/chromium is missing and installing it needs root (no sudo here): run 'apt-get install chromium' as root" >&2
			exit 1
		fi
	fi
	apt_install() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }
	# Refresh the package lists only when they do not know chromium, or when
	# installing from them fails (stale lists point at removed files).
	if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		"${SUDO[@]}" apt-get update -q
	fi
	if ! apt_install; then
		"${SUDO[@]}" apt-get update -q
		apt_install
	fi
	echo "    $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium installed')"
fi
