# Thin wrappers over the tools. `make lab` builds and configures the local lab; `make test`
# runs every check CI runs. Both install what they need on a fresh Debian machine (as root).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
HOSTS ?= 3
# lab host names: <LAB_PREFIX>-1 ... (another prefix runs a second lab beside the first)
LAB_PREFIX ?= layerwise-lab
# one word per lab host, <engine>[/<store>]: engines 20.10, 26, 28; stores overlay2, containerd
# (e.g. LAB_SPEC="20.10 28/containerd"); empty: HOSTS hosts of 20.10/overlay2
LAB_SPEC ?=
INVENTORY ?= inventories/lab
LIMIT ?= all
POLICY ?=
WAIVERS ?=
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: help venv engine lab lab-down lab-test lab-check lint unit molecule test bench bench-layers bench-move bench-move-host clean compliance

help:
	@echo "make lab [HOSTS=3] [LAB_SPEC='20.10 28/containerd'] [LAB_PREFIX=layerwise-lab]"
	@echo "                     start lab Docker hosts (engine/store per host), configure their storage"
	@echo "make lab-down        remove the lab hosts, their loop devices and volumes"
	@echo "make lab-test        run the host suite (tests/infra) against the lab"
	@echo "make test            lint, unit tests and the molecule scenarios"
	@echo "make lint | unit | molecule | lab-check   one stage of make test"
	@echo "make bench           facts module on 1,000+ layers, remote commands of the suite"
	@echo "make bench-layers    reader + judge on 1,111 and 10,000 crafted layers (overlay2, containerd), one core"
	@echo "make bench-move [MOVE_LAYERS=1111] [MOVE_GIB=3]"
	@echo "                     the data root move's copy and proof against cp -a and rsync -aHAX (root)"
	@echo "make bench-move-host [MOVE_IMAGES=10] [MOVE_IMAGE_LAYERS=110] [MOVE_GIB=3]"
	@echo "                     a whole move on a lab host: run, downtime, copy, proof, layer hashing (root)"
	@echo "make compliance [INVENTORY=inventories/lab] [LIMIT=all] [POLICY=file] [WAIVERS=file]"
	@echo "                     judge every host's storage, write reports/compliance.*"
	@echo "make clean           remove the venv and caches"

$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(BIN)/.installed

engine:
	@scripts/ensure-tools.sh
	@scripts/ensure-engine.sh

lab: venv engine
	@scripts/stage.sh "lab hosts ($(or $(LAB_SPEC),$(HOSTS)))" ansible-playbook playbooks/lab.yml \
		-e lab_count=$(HOSTS) -e lab_prefix=$(LAB_PREFIX) -e "lab_spec='$(LAB_SPEC)'"
	@scripts/stage.sh "site.yml" ansible-playbook playbooks/site.yml
	@$(MAKE) --no-print-directory lab-test

# The host suite against every lab host; results in the terminal and reports/junit-infra-lab.xml.
lab-test: venv
	@scripts/stage.sh "tests/infra on the lab" pytest tests/infra --hosts='ansible://lab' \
		-p no:cacheprovider --junitxml=reports/junit-infra-lab.xml

lab-down: venv
	@scripts/stage.sh "lab down" ansible-playbook playbooks/lab.yml -e lab_state=absent \
		-e lab_prefix=$(LAB_PREFIX)

lint: venv
	@scripts/stage.sh ruff bash -c 'ruff check . && ruff format --check .'
	@scripts/stage.sh yamllint yamllint --strict .
	@scripts/stage.sh ansible-lint ansible-lint --profile production

unit: venv
	@scripts/stage.sh "unit tests" pytest tests/unit --junitxml=reports/junit-unit.xml

molecule: venv engine
	@scripts/stage.sh "molecule" molecule test --all

# The lab tooling on this machine (a host that never boots fails the wait, with its jobs) and
# every command README prints, run as printed from a fresh shell: make lab first, lab-down last.
lab-check: venv engine
	@scripts/stage.sh "lab and README commands" pytest tests/lab -p no:cacheprovider \
		--junitxml=reports/junit-lab.xml

# Each molecule scenario's verify writes reports/junit-{infra,role}-<scenario>.xml.
SCENARIOS := $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))
REPORTS := reports/junit-unit.xml reports/junit-lab.xml $(foreach s,$(SCENARIOS),reports/junit-infra-$(s).xml reports/junit-role-$(s).xml)

test:
	@rm -f $(REPORTS)
	@$(MAKE) --no-print-directory lint unit molecule lab-check
	@scripts/junit_totals.py $(REPORTS)

# Fleet compliance: python -m layerwise compliance (playbooks/compliance.yml). make's own exit
# status is 2 on any failure; the plain command exits 0 pass, 1 failed, 2 could not check.
compliance: venv
	@$(BIN)/python -m layerwise compliance -i $(INVENTORY) --limit '$(LIMIT)' \
		$(if $(POLICY),--policy $(POLICY)) $(if $(WAIVERS),--waivers $(WAIVERS))

bench: lab bench-layers
	@scripts/stage.sh "bench" scripts/bench.sh

# The reader and the judge on 1,111 and 10,000 crafted layers, one core, no Docker needed:
# on overlay2, then on the containerd image store.
bench-layers: venv
	@scripts/stage.sh "bench: reader + judge on crafted layers" $(BIN)/python scripts/bench_layers.py 1111 10000
	@scripts/stage.sh "bench: reader + judge on crafted layers, containerd store" \
		$(BIN)/python scripts/bench_layers.py --store containerd 1111 10000

# A crafted data root (MOVE_LAYERS layers, MOVE_GIB GiB of volume data) copied onto a new
# loop xfs: the move's copy and proof against the cp -a and rsync -aHAX floors. As root.
MOVE_LAYERS ?= 1111
MOVE_GIB ?= 3
bench-move: venv
	@scripts/ensure-tools.sh
	@scripts/stage.sh "bench: data root move" $(BIN)/python scripts/bench_move.py $(MOVE_LAYERS) $(MOVE_GIB)

# A whole move on a real lab host (Docker 20.10, overlay2) holding the sample images and
# containers, MOVE_IMAGES x MOVE_IMAGE_LAYERS more layers and MOVE_GIB GiB more volume data:
# the role's run, Docker's downtime, the copy, the proof and the layer hashing, against cp -a
# and rsync -aHAX of the same tree. As root.
MOVE_IMAGES ?= 10
MOVE_IMAGE_LAYERS ?= 110
bench-move-host: venv engine
	@scripts/stage.sh "bench: data root move on a lab host" $(BIN)/python scripts/bench_move_host.py \
		$(MOVE_IMAGES) $(MOVE_IMAGE_LAYERS) $(MOVE_GIB)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache reports
