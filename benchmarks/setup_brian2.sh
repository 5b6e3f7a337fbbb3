#!/usr/bin/env bash
# Benchmark-only environment for the Brian2 comparison (benchmarks/_brian2_network.py).
#
# Creates .venv-brian2 at the repository root with Brian2 2.9 and numpy < 2.3 (Brian2 2.9's
# supported range on Python 3.11). Brian2 is NOT a dependency of neuromorph: this venv is used only
# by the network benchmark, which runs `.venv-brian2/bin/python benchmarks/_brian2_network.py ...`.
# C++ standalone mode needs a C++ compiler and make (g++/make from Debian's build-essential);
# Brian2's GSL integrators (method="gsl_rkf45", used by work_precision_network.py) need the GSL
# headers and library (Debian's libgsl-dev). They are installed with apt-get if missing (as root).
# Idempotent: re-running checks what is there and installs only what is missing.
#
#     bash benchmarks/setup_brian2.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-brian2"
PY="${PYTHON:-python3}"

# C++ toolchain for cpp_standalone (and python3-venv for the venv itself).
need_apt=()
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
[ -f /usr/include/gsl/gsl_odeiv2.h ] || need_apt+=(libgsl-dev)
"$PY" -c "import ensurepip, venv" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ "${#need_apt[@]}" -gt 0 ]; then
    echo "setup_brian2: installing ${need_apt[*]} with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup_brian2: creating $VENV" >&2
    "$PY" -m venv "$VENV"
fi

if "$VENV/bin/python" - <<'EOF' >/dev/null 2>&1
import brian2, numpy
from packaging.version import Version
assert Version(brian2.__version__).release[:2] == (2, 9), brian2.__version__
assert Version(numpy.__version__) < Version("2.3"), numpy.__version__
EOF
then
    echo "setup_brian2: brian2 2.9 already installed in $VENV" >&2
else
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # packaging is used by the check above; setuptools is imported by Brian2's build helpers.
    "$VENV/bin/python" -m pip install -q "brian2==2.9.*" "numpy<2.3" packaging setuptools
fi

"$VENV/bin/python" -c "import brian2, numpy; print('setup_brian2: brian2', brian2.__version__, 'numpy', numpy.__version__)"
