#!/usr/bin/env bash
# carehard from this wheelhouse, without network (scripts/wheelhouse.sh build wrote it; docs/install.md):
#
#   ./install.sh [--prefix /opt/carehard] [--python python3] [--link-dir /usr/local/bin | --no-link]
#
# Makes a virtualenv at --prefix with exactly the wheels requirements-X.Y.txt pins (by hash) for the
# Python it runs, checks `carehard --version` and `carehard controls list`, and links the command.
# Works without Debian's python3-venv package (the venv gets its pip from the wheelhouse). Running it
# again upgrades: the previous installation comes back if anything fails.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
prefix=/opt/carehard
python=python3
link_dir=""
[ "$(id -u)" -ne 0 ] || link_dir=/usr/local/bin

fail() {
  echo "carehard: error: $*" >&2
  exit 2
}

# The Python versions this wheelhouse was built for (one requirements-X.Y.txt each).
built_versions() {
  local file versions=()
  for file in "$HERE"/requirements-*.txt; do
    [ -e "$file" ] || continue
    file=${file##*/requirements-}
    versions+=("${file%.txt}")
  done
  echo "${versions[*]:-(none)}"
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix | --python | --link-dir)
      [ $# -ge 2 ] && [ -n "$2" ] || fail "$1 needs a value"
      case $1 in
        --prefix) prefix=$2 ;;
        --python) python=$2 ;;
        --link-dir) link_dir=$2 ;;
      esac
      shift 2
      ;;
    --no-link)
      link_dir=""
      shift
      ;;
    -h | --help)
      sed -n '2,9s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *) fail "unknown option $1 (--prefix DIR, --python PYTHON, --link-dir DIR, --no-link)" ;;
  esac
done
case $prefix in
  /*) ;;
  *) prefix=$PWD/$prefix ;;
esac
prefix=${prefix%/}

command -v "$python" >/dev/null 2>&1 ||
  fail "no $python here: install Python $(built_versions) or name one with --python"
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') ||
  fail "$python does not run"
requirements=$HERE/requirements-$version.txt
if [ ! -f "$requirements" ]; then
  built=$(built_versions)
  [ "$built" != "(none)" ] || fail "no requirements-X.Y.txt beside $0: copy the whole wheelhouse directory"
  fail "$python is Python $version; this wheelhouse has wheels for Python $built only:" \
    "run install.sh --python python${built%% *}, or build a wheelhouse with --python $version"
fi
pip_version=$(sed -n 's/^pip==\([^ ]*\) .*/\1/p' "$requirements")
pip_wheel=$HERE/pip-$pip_version-py3-none-any.whl
[ -f "$pip_wheel" ] || fail "$pip_wheel is missing: copy the whole wheelhouse directory"
[ "$(sha256sum "$pip_wheel" | cut -d' ' -f1)" = "$(sed -n 's/^pip==.*sha256:\([0-9a-f]*\)$/\1/p' "$requirements")" ] ||
  fail "$pip_wheel does not have the hash $requirements pins: copy the wheelhouse again"

if [ -e "$prefix" ] && [ -n "$(ls -A "$prefix" 2>/dev/null)" ] &&
  { [ ! -f "$prefix/pyvenv.cfg" ] || [ ! -e "$prefix/bin/carehard" ]; }; then
  fail "$prefix exists and is not a carehard installation: choose another --prefix"
fi
mkdir -p "$(dirname "$prefix")" 2>/dev/null && [ -w "$(dirname "$prefix")" ] ||
  fail "cannot write in $(dirname "$prefix"): run install.sh as root, or choose --prefix DIR"

# The offline machine's pip configuration (an index, constraints) has no say: exactly the wheelhouse.
export PIP_CONFIG_FILE=/dev/null PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
previous=""
if [ -e "$prefix" ]; then
  previous=$prefix.previous.$$
  mv "$prefix" "$previous"
fi
log=$(mktemp)
restore() {
  rm -rf "$prefix"
  [ -z "$previous" ] || mv "$previous" "$prefix"
  rm -f "$log"
}
trap restore EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# step WHAT COMMAND...: the command's output kept in $log, its last lines shown if it fails.
step() {
  local what=$1
  shift
  "$@" >"$log" 2>&1 || {
    echo "carehard: error: $what failed, $prefix left as it was; the last lines:" >&2
    tail -n 5 "$log" >&2
    exit 2
  }
}

echo "== virtualenv $prefix (Python $version)"
step "making the virtualenv" "$python" -m venv --without-pip "$prefix"
# pip runs from its own wheel to install itself: no ensurepip (python3-venv) needed.
step "installing pip" "$prefix/bin/python" "$pip_wheel/pip" install --no-index --no-warn-script-location "$pip_wheel"
echo "== $(grep -c '==' "$requirements") wheels"
step "installing the wheels" "$prefix/bin/python" -m pip install --no-index --find-links "$HERE" --require-hashes \
  --only-binary=:all: --no-compile --no-warn-script-location --requirement "$requirements"
# Bytecode for all but the collections: tens of thousands of modules that run on the targets, not
# here (compiling them took most of the install's time); the few plugins the controller loads compile
# when first used.
step "compiling" "$prefix/bin/python" -m compileall -q -x '/ansible_collections/' "$prefix/lib"
step "carehard --version" "$prefix/bin/carehard" --version
installed=$(cat "$log")
step "carehard controls list" "$prefix/bin/carehard" controls list

trap - EXIT
[ -z "$previous" ] || rm -rf "$previous"
rm -f "$log"
command_path=$prefix/bin/carehard
if [ -n "$link_dir" ]; then
  if [ -e "$link_dir/carehard" ] && [ ! -L "$link_dir/carehard" ]; then
    echo "note: $link_dir/carehard is not a link this script made: left alone"
  else
    mkdir -p "$link_dir" && ln -sfn "$prefix/bin/carehard" "$link_dir/carehard"
    command_path=$link_dir/carehard
  fi
fi
echo "$installed installed in $prefix (Python $version); the command: $command_path"
