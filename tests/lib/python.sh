#!/bin/sh
# Runs one python test under the interpreter in CTDL_PYTHON (default: the one CMake found), so the same
# ctest run can be repeated under Debian's /usr/bin/python3 (pyca 38) and a newer python (pyca 48):
#   CTDL_PYTHON=/usr/bin/python3 ctest -L python
# Usage: python.sh DEFAULT_PYTHON TEST.py
default="$1"
shift
python="${CTDL_PYTHON:-$default}"
"$python" -c 'import sys
try:
    import cryptography
    pyca = "pyca/cryptography " + cryptography.__version__
except ImportError:
    pyca = "no pyca/cryptography"
print("python: %s %s, %s" % (sys.executable, sys.version.split()[0], pyca))' || exit 1
exec "$python" -u "$@"
