#!/usr/bin/env bash
# Creates the Python environment report-bench runs DuckDB and pandas in (from PyPI only).
#
# DuckDB's `INSTALL sqlite` downloads the extension from DuckDB's own server, which machines
# without general internet access cannot reach; duckdb-ext-sqlite ships the same signed
# extension binary as a PyPI wheel, built for one DuckDB version, hence the pins.
#
#   bench/report/setup.sh [VENV_DIR]   (default ~/.cache/switchboard/bench/venv)
set -euo pipefail
venv="${1:-$HOME/.cache/switchboard/bench/venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "duckdb==1.4.4" "duckdb-ext-sqlite==1.4.4.20260205" "pandas==3.1.1" "pyarrow==26.0.1"
"$venv/bin/python" -c "import duckdb, pandas, pyarrow; print('report-bench venv:', '$venv', 'duckdb', duckdb.__version__, 'pandas', pandas.__version__, 'pyarrow', pyarrow.__version__)"
