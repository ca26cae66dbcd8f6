# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/current.tar.gz
# What the jieba dictionary and the NLU data are generated from. The FAQ store, the application
# fields and the halls are read at run time: editing them needs no training.
CATALOG_FILES := knowledge_base/departments.yml knowledge_base/certificate_types.yml knowledge_base/topics.yml \
	$(wildcard knowledge_base/catalog/*.yml)
TRAINING_INPUTS := config.yml $(CATALOG_FILES) $(shell find bot/domain bot/nlu_data bot/stories -type f \( -name '*.yml' -o -name '*.yaml' \) ! -name 'generated_*' 2>/dev/null)

.PHONY: setup generate train run run-prod shell test fuzz faults lint unit validate story-test bench bench-prod audit clean demo-accounts demo-traffic

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.in constraints.txt
	test -x $(PY) || $$(scripts/python310.sh) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet -r requirements.in -c constraints.txt
	touch $@

# The jieba dictionary and the NLU lookup/synonyms are generated from the catalog.
build/jieba_dict/userdict.txt bot/nlu_data/generated_catalog.yml: $(VENV)/.installed $(CATALOG_FILES)
	$(PY) -m govservice.catalog.nlu_export

generate: build/jieba_dict/userdict.txt

# Trains only when the config, domain, data or catalog changed.
$(MODEL): $(VENV)/.installed build/jieba_dict/userdict.txt $(TRAINING_INPUTS)
	$(RASA) train --config config.yml --domain bot/domain --data bot/nlu_data bot/stories \
		--out models --fixed-model-name current --quiet
	touch $@

train: $(MODEL)

run: $(MODEL)
	scripts/run.sh

# The production profile: several Rasa, action and staff servers behind nginx, on Redis, PostgreSQL
# and RabbitMQ (README "Scaling"; settings at the top of scripts/run_prod.sh).
run-prod: $(MODEL)
	scripts/run_prod.sh

shell: $(MODEL)
	scripts/run.sh --shell

# The demo staff accounts of this installation, with passwords and API tokens (docs/console.md).
demo-accounts: setup
	$(PY) -m govservice.accounts.officers demo-accounts

lint: setup
	$(VENV)/bin/ruff check govservice bot connectors staff portal overrides tests scripts bench
	$(VENV)/bin/mypy govservice connectors bot staff portal overrides bench

test: $(MODEL)
	scripts/test.sh

# Every property and fuzz test (marker fuzz) with the full example count; make test runs a few each.
fuzz: $(MODEL)
	HYPOTHESIS_PROFILE=fuzz PYTHONPATH=$$PWD $(VENV)/bin/pytest -q -m fuzz

# The five faults (Redis, an action server, PostgreSQL, a Rasa server, RabbitMQ) under load against
# the production profile, each with its recovery seconds in one table (docs/operations.md).
faults: $(MODEL)
	scripts/faults.sh

bench: $(MODEL)
	$(PY) -m bench.run

# Issue 14's load test: make run vs the production profile with 1 and 2 instances (bench/README.md).
bench-prod: $(MODEL)
	$(PY) -m bench.prod_bench

# Known vulnerabilities in the installed packages (pip-audit; needs the network; docs/security.md).
audit: $(VENV)/.installed
	scripts/audit.sh

clean:
	rm -rf build models var/*.db results .pytest_cache

# Hundreds of demo conversations, logins, applications and ratings against `make run` (in another
# terminal), so the console's dashboard has data (scripts/demo_traffic.py; README "数据看板").
demo-traffic: setup
	$(PY) scripts/demo_traffic.py
