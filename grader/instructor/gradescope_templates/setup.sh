#!/usr/bin/env bash
@@GENERATED@@
#
# Gradescope runs this once, as root, when it builds the autograder image of assignment @@SLUG@@.
# It makes a virtual environment at /autograder/venv and installs the grader's test requirements
# (requirements.txt beside this script; PyTorch comes from its CPU-only index).
# NNOTT_AUTOGRADER_ROOT replaces /autograder, to try it elsewhere.
set -euo pipefail

root="${NNOTT_AUTOGRADER_ROOT:-/autograder}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends python3 python3-pip python3-venv
fi
if ! command -v bwrap >/dev/null; then   # the worker's sandbox where the container allows it (else: a user of its own)
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update && apt-get install -y --no-install-recommends bubblewrap) || echo "setup: no bubblewrap; the worker will run as an unprivileged user"
fi
python3 -c 'import sys; assert sys.version_info >= (3, 10), "the grader needs Python 3.10 or newer"'
echo "setup: $(python3 --version) at $(command -v python3)"

python3 -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --upgrade pip
"$root/venv/bin/python" -m pip install -r "$here/requirements.txt"
"$root/venv/bin/python" -c 'import numpy, pytest, torch; print("setup: numpy", numpy.__version__, "torch", torch.__version__)'
