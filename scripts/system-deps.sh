#!/usr/bin/env bash
# Installs the system packages handbook-build needs, where this machine allows it (Debian or
# Ubuntu, as root); otherwise prints the one command that installs them, and fails.
set -euo pipefail

# Pango: WeasyPrint will not import without it. harfbuzz-subset: ~18 % faster font subsetting.
# Linux Libertine: the book face (true italics and bold). Java: EPUBCheck. libgs-common: the
# CMYK ICC profile for PDF/X print files. poppler-utils: pdftoppm, for looking at pages.
# fontconfig: fc-list, which the font check asks. python3-venv: `make` creates a virtualenv.
# EB Garamond: the face a test sets through `[pdf] font_family`. Symbola: the outline emoji of the
# PDFs (emoji_text.py). Noto (core, CJK, colour emoji):
# the fallback faces fontconfig picks for Arabic, Devanagari, Thai, CJK and emoji, so such text
# prints instead of turning into empty boxes. chromium: the browser Ace by DAISY (EPUB
# accessibility check, scripts/install-ace.sh) and the `serve` live-preview test drive. tests/test_system_deps.py checks that every
# package the suite relies on is in this list.
PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-linuxlibertine
          fonts-dejavu-core fonts-ebgaramond fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fonts-symbola
          openjdk-17-jre-headless libgs-common poppler-utils python3-venv
          chromium)

# --list: the packages, one a line (tests/test_system_deps.py reads them from here).
if [[ "${1:-}" == "--list" ]]; then
  printf '%s\n' "${PACKAGES[@]}"
  exit 0
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
  done
else
  echo "handbook-build: not a Debian/Ubuntu system; install the equivalents of:" >&2
  echo "  ${PACKAGES[*]}" >&2
  exit 0
fi

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "handbook-build: installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "handbook-build: missing system packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 3
fi
