#!/usr/bin/env bash
# Installs Ace by DAISY (the EPUB accessibility checker) into .tools/ace, where this machine
# allows it: npm present. Chromium comes from Debian (scripts/system-deps.sh); puppeteer's own
# browser download is skipped. Without npm it says so and succeeds: the tests that need Ace
# then skip with the reason, like every optional tool.
set -euo pipefail
ACE_VERSION=1.4.6
TOOLS=.tools/ace
if ! command -v npm >/dev/null 2>&1; then
  echo "handbook-build: npm not found; Ace (EPUB accessibility check) not installed." >&2
  echo "  apt-get install npm chromium, then: make ace" >&2
  exit 0
fi
mkdir -p "$TOOLS"
[[ -f "$TOOLS/package.json" ]] || echo '{"private": true}' > "$TOOLS/package.json"
echo "handbook-build: installing @daisy/ace-cli@$ACE_VERSION into $TOOLS"
if ! (cd "$TOOLS" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --silent \
        "@daisy/ace-cli@$ACE_VERSION" >/dev/null); then
  echo "handbook-build: npm could not install Ace (offline?); the Ace tests will skip." >&2
  exit 0
fi
touch "$TOOLS/.installed"
