#!/usr/bin/env bash
# Install what the browser test needs: Debian's chromium and a CJK font (so screenshots show Chinese).
# Idempotent: does nothing when both are present. Needs root (CI runs as root) or sudo.
set -euo pipefail

need=()
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    need+=(chromium)
fi
# (read fc-list fully first: `fc-list | grep -q` fails under pipefail when grep exits early)
fonts="$(fc-list 2>/dev/null || true)"
if ! grep -qi "Noto Sans CJK\|Noto Serif CJK" <<<"$fonts"; then
    need+=(fonts-noto-cjk)
fi
if [ ${#need[@]} -eq 0 ]; then
    echo "install_browser: chromium and fonts-noto-cjk already present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install_browser: need root to install ${need[*]}" >&2; exit 1
    fi
fi

echo "install_browser: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig
fc-cache -f >/dev/null 2>&1 || true
/usr/bin/chromium --version
