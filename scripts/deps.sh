#!/usr/bin/env bash
# Installs the Debian 12 packages rollout needs, only those that are missing.
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libuv1-dev libssh2-1-dev libsqlite3-dev libsodium-dev libyaml-dev libcmocka-dev
      libssh-dev openssh-server openssh-client libmicrohttpd-dev
      libfido2-dev libxlsxwriter-dev                 # passkey approvals, the city's reports
      chromium chromium-driver python3-selenium fonts-ipafont-gothic   # the console's browser test
      python3-openpyxl libreoffice-calc-nogui fonts-noto-cjk          # reports read back and rendered
      libssl-dev                                     # the journal's SHA-256 (libcrypto, SHA extensions)
      poppler-utils unzip)                         # PDFs (reports, the printed procedure) drawn as PNG
# Extra packages a caller asks for (e.g. the sanitizer or fuzzing toolchain).
pkgs+=("$@")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "rollout: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
