# Sourced by scripts/run-demo and scripts/test: a virtualenv with the pinned packages.
# Set LAYANAN_VENV to use another location (default: .venv in the project).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LAYANAN_VENV:-$ROOT/.venv}"
REQUIREMENTS="${1:-$ROOT/requirements.txt}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> Creating virtualenv in $VENV"
  python3 -m venv "$VENV"
fi
stamp="$VENV/.installed-$(cat "$ROOT"/requirements*.txt | sha256sum | cut -c1-16)-$(basename "$REQUIREMENTS")"
if [ ! -f "$stamp" ]; then
  echo "==> Installing Python packages from $(basename "$REQUIREMENTS")"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root to run: $*" >&2; return 1; fi
}

apt_install() {
  # Debian packages the tests need; apt-get update first, as a fresh machine has no lists.
  echo "==> Installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
