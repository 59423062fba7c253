#!/usr/bin/env bash
# A wheelhouse for a control node without internet (docs/install.md):
#
#   scripts/wheelhouse.sh build OUT [--python X.Y]...
#
# On a connected machine: OUT/ gets carehard's wheel (built from this checkout), the wheels of
# every dependency and of pip for each Python version asked (default: python3's), one
# requirements-X.Y.txt per version pinning by hash exactly what was downloaded, and install.sh.
# Copy OUT/ to the offline machine and run OUT/install.sh there. The Python that runs pip here is
# $PYTHON (default python3); OUT is written whole or not at all.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
# manylinux wheels a glibc 2.28 system runs (RHEL 8; Debian 10+ and Ubuntu 20.04+ have newer): pip
# does not widen a manylinux_2_X platform to the older ones itself.
PLATFORMS=(manylinux2014_x86_64 manylinux2010_x86_64 manylinux1_x86_64)
for glibc_minor in $(seq 28 -1 17); do
  PLATFORMS+=("manylinux_2_${glibc_minor}_x86_64")
done

fail() {
  echo "carehard: error: $*" >&2
  exit 2
}

usage() {
  echo "usage: scripts/wheelhouse.sh build OUT [--python X.Y]...   (see docs/install.md)"
}

# The Python versions carehard's requires-python accepts, among the X.Y asked: a one-line refusal otherwise.
check_versions() {
  "$PYTHON" - "$REPO/pyproject.toml" "$@" <<'EOF'
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
spec = re.search(r'^requires-python\s*=\s*"([^"]+)"', text, re.M).group(1)
ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, "==": lambda a, b: a == b}
for version in sys.argv[2:]:
    asked = tuple(int(part) for part in version.split("."))
    for clause in spec.split(","):
        op, bound = re.match(r"\s*(>=|<=|==|>|<)\s*([\d.]+)", clause).groups()
        if not ops[op](asked, tuple(int(part) for part in bound.split("."))[:2]):
            print(f"carehard needs Python {spec}, not {version}")
            sys.exit(1)
EOF
}

# A Python X.Y of this machine with pip, else $PYTHON: pip evaluates dependencies' markers
# (python_version < "3.12"...) with the Python that runs it, whatever --python-version says.
pip_python_for() {
  local candidate="python$1"
  if command -v "$candidate" >/dev/null 2>&1 &&
    [ "$("$candidate" -c 'import sys, pip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$1" ]; then
    echo "$candidate"
  else
    echo "$PYTHON"
  fi
}

# requirements-X.Y.txt from the wheels pip downloaded for that version: name==version --hash.
write_requirements() {
  local wheels=$1 version=$2 wheel name rest
  echo "# What scripts/wheelhouse.sh downloaded for Python $version; install.sh installs exactly this."
  for wheel in "$wheels"/*.whl; do
    rest=$(basename "$wheel" .whl)
    name=${rest%%-*}
    rest=${rest#*-}
    echo "$name==${rest%%-*} --hash=sha256:$(sha256sum "$wheel" | cut -d' ' -f1)"
  done
}

build() {
  local out="" versions=()
  while [ $# -gt 0 ]; do
    case $1 in
      --python)
        [ $# -ge 2 ] || fail "--python needs a version, e.g. --python 3.11"
        [[ $2 =~ ^3\.[0-9]+$ ]] || fail "--python $2: give a Python version as X.Y, e.g. --python 3.11"
        versions+=("$2")
        shift 2
        ;;
      -*) fail "unknown option $1 ($(usage))" ;;
      *)
        [ -z "$out" ] || fail "one output directory only, got $out and $1"
        out=$1
        shift
        ;;
    esac
  done
  [ -n "$out" ] || fail "no output directory ($(usage))"
  command -v "$PYTHON" >/dev/null || fail "no $PYTHON here to run pip: set PYTHON=/path/to/python3"
  if [ ${#versions[@]} -eq 0 ]; then
    versions=("$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
  fi
  local refusal
  refusal=$(check_versions "${versions[@]}") || fail "--python: $refusal"
  if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
    fail "$out already exists and is not empty: remove it or choose another output directory"
  fi
  mkdir -p "$(dirname "$out")" || fail "cannot make the parent directory of $out"

  local work
  work=$(mktemp -d "$(cd "$(dirname "$out")" && pwd)/.wheelhouse.XXXXXX") || fail "cannot write next to $out"
  # shellcheck disable=SC2064  # expand $work now: it is local
  trap "rm -rf '$work'" EXIT
  mkdir "$work/out" "$work/src"

  echo "== carehard's wheel, from $REPO"
  # A copy of what the package is made of: building in the checkout would leave build/ there, whose
  # stale files end up in later wheels.
  cp -a "$REPO/pyproject.toml" "$REPO/README.md" "$REPO/ansible.cfg" "$REPO/carehard" "$REPO/roles" \
    "$REPO/playbooks" "$work/src/"
  find "$work/src" -name __pycache__ -prune -exec rm -rf {} +
  "$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/carehard" "$work/src" ||
    fail "building carehard's wheel failed (pip's messages above)"
  local carehard_wheel
  carehard_wheel=$(echo "$work"/carehard/carehard-*.whl)

  local version pip_python platform_options=()
  for platform in "${PLATFORMS[@]}"; do
    platform_options+=(--platform "$platform")
  done
  for version in "${versions[@]}"; do
    pip_python=$(pip_python_for "$version")
    echo "== wheels for Python $version (pip run by $pip_python)"
    if [ "$pip_python" = "$PYTHON" ] &&
      [ "$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$version" ]; then
      echo "   note: no python$version with pip here: dependencies' markers are evaluated as $PYTHON's"
    fi
    "$pip_python" -m pip download --quiet --only-binary=:all: --implementation cp \
      --python-version "$version" "${platform_options[@]}" --dest "$work/wheels-$version" \
      "$carehard_wheel" pip ||
      fail "downloading the wheels for Python $version failed (pip's messages above)"
    write_requirements "$work/wheels-$version" "$version" >"$work/out/requirements-$version.txt"
    mv -f "$work/wheels-$version"/*.whl "$work/out/"
  done
  install -m 755 "$REPO/scripts/wheelhouse-install.sh" "$work/out/install.sh"

  [ ! -d "$out" ] || rmdir "$out"
  mv "$work/out" "$out"
  echo "wheelhouse $out: $(basename "$carehard_wheel"), $(find "$out" -name '*.whl' | wc -l) wheels," \
    "$(du -sh "$out" | cut -f1), for Python ${versions[*]}"
  echo "on the offline machine, as root: $out/install.sh [--prefix /opt/carehard] [--python python3.X]"
}

case ${1:-} in
  build)
    shift
    build "$@"
    ;;
  -h | --help | help) usage ;;
  *) fail "unknown command ${1:-(none)} ($(usage))" ;;
esac
