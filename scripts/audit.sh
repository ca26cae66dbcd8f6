#!/usr/bin/env bash
# `make audit`: pip-audit over the packages installed in .venv, with the ignore list of docs/security.md.
#   AUDIT_SERVICE=pypi (default) or osv: the vulnerability service pip-audit asks (network needed).
#   scripts/audit.sh --ignored   print the ignored advisory ids and exit (used by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
DOC=docs/security.md
# The ignore list is the table of docs/security.md: one row per advisory, id in the first column.
ignored() { grep -oE '^\| *(PYSEC|GHSA|CVE|OSV)-[A-Za-z0-9-]+' "$DOC" | tr -d '| ' || true; }
if [ "${1:-}" = "--ignored" ]; then ignored; exit 0; fi

TOOL=build/audit-venv
# pip-audit conflicts with rasa's pins, so it lives in its own venv, rebuilt when its pins change.
if [ ! -x "$TOOL/bin/pip-audit" ] || [ requirements-audit.txt -nt "$TOOL/.installed" ]; then
  rm -rf "$TOOL"
  "$(scripts/python310.sh)" -m venv "$TOOL"
  "$TOOL/bin/python" -m pip install --quiet -r requirements-audit.txt
  touch "$TOOL/.installed"
fi
SITE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
args=()
for id in $(ignored); do args+=(--ignore-vuln "$id"); done
"$TOOL/bin/pip-audit" --path "$SITE" --strict --desc on -s "${AUDIT_SERVICE:-pypi}" "${args[@]}"
