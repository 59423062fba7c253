#!/usr/bin/env bash
# Install what the tests need (Debian packages, a virtualenv with carehard and its test tools)
# and run the whole suite: linters, unit tests, integration tests on disposable test hosts.
# Run as root: the test hosts are systemd-nspawn containers in their own network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."

# libkrb5-dev and gcc: the gssapi package of the test extra builds from source (no Linux wheel on PyPI).
APT_PACKAGES=(debootstrap systemd-container zstd iproute2 openssh-client restic sqlite3 chromium nmap poppler-utils
  libkrb5-dev gcc)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

VENV=${CAREHARD_VENV:-.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e '.[test]'
export PATH="$PWD/$VENV/bin:$PATH"

echo "== lint"
ruff check carehard tests bench scripts roles callback_plugins
ruff format --check carehard tests bench scripts roles callback_plugins
mypy
mypy scripts/coverage.py
yamllint -s .
ansible-lint -q

echo "== tests"
python -m pytest -ra "$@"
