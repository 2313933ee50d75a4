# Entry points for a fresh machine: `make demo` and `make test` build .venv when it is
# missing or older than the files that define it, then run.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv lint test demo bench clean-venv

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml Makefile setup.py danr_renderer/splatting/csrc/splat_cpu.cpp
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0 "setuptools>=77.0.3,<81" wheel ninja psutil
	# mmcv 2.1.0 ships no wheel for this torch: build it with its compiled ops (pip caches the wheel).
	$(PY) -c "import mmcv, mmcv.ops" 2>/dev/null || \
		MMCV_WITH_OPS=1 MAX_JOBS=2 $(PY) -m pip install --no-build-isolation mmcv==2.1.0
	$(PY) -m pip install --quiet -r requirements.txt
	# Also compiles the splatting kernel (setup.py; without a C++ compiler: a warning, pure torch).
	$(PY) -m pip install --quiet --no-build-isolation --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest -q tests

demo: $(STAMP)
	$(PY) tools/demo.py --out work_dirs/demo

bench: $(STAMP)
	$(PY) benchmarks/bench_splatting.py --out benchmarks/RESULTS.md

clean-venv:
	rm -rf $(VENV)
