#!/usr/bin/env bash
# Installs the Debian packages the portal and its tests need: fonts for the PDF letters
# (Latin, Arabic, Chinese, Cyrillic), Pango and HarfBuzz-Subset for WeasyPrint, poppler for PDF checks,
# Chromium for browser tests and wrk for benchmarks. Idempotent: installs only what is missing.
set -euo pipefail
packages=(fonts-noto-core fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium wrk)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
