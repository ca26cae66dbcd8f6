#!/usr/bin/env bash
# Print the path of a working Python 3.10 (Rasa 3.6 supports <= 3.10).
set -euo pipefail
for candidate in python3.10 "$(pyenv root 2>/dev/null)"/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$candidate" || echo "$candidate"
    exit 0
  fi
done
echo "python3.10 not found: install Python 3.10 (Rasa 3.6 needs it)" >&2
exit 1
