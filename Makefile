# Deux commandes pour une machine neuve : `make demo` et `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install -q --disable-pip-version-check
PROMPT ?= un cercle rouge à gauche d'un carré bleu
OUT    ?= out/demo.png

.PHONY: demo test docs export clean-nbs chromium help

help:
	@echo "make demo   : crée $(VENV), installe le paquet, génère des images pour « $(PROMPT) » dans $(OUT)"
	@echo "make test   : installe les outils de test, lance notebooks (nbdev_test) + pytest"
	@echo "make docs   : construit le site de documentation dans _docs/"

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 requis"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(VENV)/.stamp-base: settings.ini setup.py | $(PY)
	$(PIP) -e .
	@touch $@

$(VENV)/.stamp-dev: settings.ini setup.py | $(PY)
	$(PIP) -e ".[dev,app]"
	@touch $@ $(VENV)/.stamp-base

demo: $(VENV)/.stamp-base
	$(VENV)/bin/dalle-mini-nb "$(PROMPT)" --out $(OUT) --n 8

chromium:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  { echo "installation de chromium (tests dans un vrai navigateur)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.stamp-dev chromium
	$(PY) tools/run_tests.py $(TEST_ARGS)

export: $(VENV)/.stamp-dev
	$(VENV)/bin/nbdev_export
	$(VENV)/bin/nbdev_clean
	$(PY) tools/readme.py

docs: $(VENV)/.stamp-dev
	$(PY) tools/docs.py
