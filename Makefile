# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test check lint typecheck imports docs bench clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,postgres,spark]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/loyalist demo --dataset online-retail
	$(VENV)/bin/loyalist demo --dataset cdnow

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check loyalist tests benchmarks scripts

typecheck: $(STAMP)
	$(VENV)/bin/mypy

imports: $(STAMP)
	$(VENV)/bin/lint-imports

check: lint typecheck imports test

docs: $(STAMP)
	$(PY) -c "from loyalist.data.docs import render_markdown; open('docs/data-model.md', 'w').write(render_markdown())"

bench: $(STAMP)
	$(PY) benchmarks/import_speed.py

clean:
	rm -rf $(VENV) loyalist-data loyalist-demo .pytest_cache .mypy_cache .ruff_cache
screenshots: $(STAMP)
	$(PY) scripts/screenshots.py
