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

.PHONY: help venv engine images lab lab-up lab-down lab-test lab-check lint sanity unit fuzz check mutate molecule test bench bench-layers bench-move bench-move-host clean compliance

help:
	@echo "make lab [HOSTS=3] [LAB_SPEC='20.10 28/containerd'] [LAB_PREFIX=layerwise-lab]"
	@echo "                     start lab Docker hosts (engine/store per host), configure their storage"
	@echo "make lab-down        remove the lab hosts, their loop devices and volumes"
	@echo "make lab-test        run the host suite (tests/infra) against the lab"
	@echo "make check           the fast inner loop: lint and unit tests (no Docker)"
	@echo "make test            everything CI runs: lint, unit, fuzz, molecule and the lab suites,"
	@echo "                     in lanes side by side; stage times and the slowest tests at the end"
	@echo "make lint | sanity | unit | fuzz | images | molecule [SCENARIO=name] | lab-check [LAB_TESTS=...]"
	@echo "                     one stage of make test"
	@echo "make mutate [MUTANTS='layerwise.cli*']"
	@echo "                     mutation testing of the controller (mutmut): the score per file"
	@echo "make bench [BENCH_IMAGES=10] [BENCH_LAYERS=110]"
	@echo "                     facts module on a lab host with 1,100 more layers, remote commands of"
	@echo "                     the suite (on the lab as it is; make lab first when it is not up)"
	@echo "make bench-layers [LAYERS='1111 10000']"
	@echo "                     reader (with usage) + accounting + judge on crafted layers, one core"
	@echo "make bench-move [MOVE_LAYERS=1111] [MOVE_GIB=3]"
	@echo "                     the data root move's copy and proof against cp -a and rsync -aHAX (root)"
	@echo "make bench-move-host [MOVE_IMAGES=10] [MOVE_IMAGE_LAYERS=110] [MOVE_GIB=3]"
	@echo "                     a whole move on a lab host: run, downtime, copy, proof, layer hashing (root)"
	@echo "make compliance [INVENTORY=inventories/lab] [LIMIT=all] [POLICY=file] [WAIVERS=file]"
	@echo "                     judge every host's storage, write reports/compliance.*"
	@echo "make venv            the Python venv .venv from requirements.txt (no root, no Docker)"
	@echo "make clean           remove the venv and caches"

$(BIN)/.installed: requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
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
	@$(MAKE) --no-print-directory sanity

# ansible-test sanity on the collection, its pip bootstrap made from the package index (no
# download from ci-files.testing.ansible.com): scripts/sanity.py
sanity: venv
	@scripts/stage.sh "ansible-test sanity" $(BIN)/python -m scripts.sanity

# Pure logic, no Docker, no Ansible run: the inner loop (make check is lint + unit).
unit: venv
	@scripts/stage.sh "unit tests" pytest tests/unit -n 2 --junitxml=reports/junit-unit.xml

# Every role variable fuzzed through ansible-playbook on unreachable hosts, and the layerwise
# command's runs of it on inventories with no host to contact (no Docker).
fuzz: venv
	@scripts/stage.sh "role variables fuzzed" pytest tests/roles_input --junitxml=reports/junit-fuzz.xml

check: lint unit

# Mutation testing of the controller, the move's and reclaim's pure parts (pyproject.toml [tool.mutmut]):
# mutmut changes the code a mutant at a time, the unit tests must fail on each; the score per
# file at the end (90% at least). MUTANTS='layerwise.render.html*' runs a part of it.
MUTMUT_VERSION := 3.8.1
MUTANTS ?=
mutate: venv
	@$(BIN)/pip install --quiet --disable-pip-version-check mutmut==$(MUTMUT_VERSION)
	@mkdir -p reports && scripts/stage.sh "mutation testing" bash -c '$(BIN)/mutmut run --max-children 2 $(if $(MUTANTS),"$(MUTANTS)") \
		> reports/mutmut.log 2>&1 || { tail -c 3000 reports/mutmut.log; exit 1; }'
	@$(BIN)/python -m scripts.mutation_score

# The lab images (a Debian base from debootstrap, the lab host, the sample base) for each of
# SUITES, side by side; made once and reused while made from today's sources.
SUITES ?= bookworm trixie
images: venv engine
	@scripts/stage.sh "lab images ($(SUITES))" scripts/lanes.py $(foreach s,$(SUITES),images-$(s) \
		'ansible-playbook playbooks/lab_images.yml -e "{\"lab_images_suites\": [\"$(s)\"]}"')

# One scenario (SCENARIO=default) or all of them.
SCENARIO ?=
molecule: venv engine
	@scripts/stage.sh "molecule $(or $(SCENARIO),--all)" molecule test $(if $(SCENARIO),-s $(SCENARIO),--all)

# The lab tooling on this machine (a host that never boots fails the wait, with its jobs), the
# data root move on real lab hosts, compliance on a broken lab, and every command README
# prints, run as printed from a fresh shell. LAB_TESTS and LAB_K choose a part of it (a
# lane of make test); its JUnit report is reports/junit-lab$(LAB_REPORT).xml.
LAB_TESTS ?= tests/lab
LAB_K ?=
LAB_REPORT ?=
lab-check: venv engine
	@scripts/stage.sh "lab: $(LAB_TESTS)$(if $(LAB_K), -k '$(LAB_K)')" pytest $(LAB_TESTS) \
		$(if $(LAB_K),-k '$(LAB_K)') -p no:cacheprovider --junitxml=reports/junit-lab$(LAB_REPORT).xml

# Each molecule scenario's verify writes reports/junit-{infra,role}-<scenario>.xml.
SCENARIOS := $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))
LAB_LANES := move-overlay2 move-containerd rest
REPORTS := reports/junit-unit.xml reports/junit-fuzz.xml \
	$(foreach l,$(LAB_LANES),reports/junit-lab-$(l).xml) \
	$(foreach s,$(SCENARIOS),reports/junit-infra-$(s).xml reports/junit-role-$(s).xml)
MAKE_Q := $(MAKE) --no-print-directory

# Everything CI runs. The venv first; then what the lanes share (engine, lab images: mostly
# downloads and debootstrap) beside the lanes that need neither (lint, unit, fuzz); then lanes
# that share nothing but the machine, two at a time, longest first (scripts/lanes.py: each
# lane's log in reports/lanes/); then the stage times, the slowest tests and the total.
# The suite is CPU-bound on 2 cores: more lanes at once only slow each other down.
LANES ?= 2
test:
	@rm -rf $(REPORTS) reports/stages.tsv reports/lanes && mkdir -p reports
	@export LAYERWISE_STAGES=$(CURDIR)/reports/stages.tsv; start=$$(date +%s); rc=0; \
	$(MAKE_Q) venv || rc=$$?; \
	[ $$rc -ne 0 ] || scripts/lanes.py --jobs 2 --gate engine-images \
		engine-images '$(MAKE_Q) engine images' \
		check '$(MAKE_Q) check fuzz' \
		|| rc=$$?; \
	[ $$rc -ne 0 ] && [ $$rc -ne 1 ] || scripts/lanes.py --jobs $(LANES) \
		lab-move-overlay2 '$(MAKE_Q) lab-check LAB_TESTS=tests/lab/test_migration.py LAB_K=overlay2 LAB_REPORT=-move-overlay2' \
		lab-rest '$(MAKE_Q) lab-check LAB_TESTS="tests/lab --ignore=tests/lab/test_migration.py" LAB_REPORT=-rest' \
		lab-move-containerd '$(MAKE_Q) lab-check LAB_TESTS=tests/lab/test_migration.py LAB_K=containerd LAB_REPORT=-move-containerd' \
		molecule-docker28 '$(MAKE_Q) molecule SCENARIO=docker28' \
		molecule-default '$(MAKE_Q) molecule SCENARIO=default' \
		molecule-trixie '$(MAKE_Q) molecule SCENARIO=trixie' \
		|| rc=$$?; \
	scripts/junit_totals.py --stages reports/stages.tsv --slowest 25 $(REPORTS) || rc=1; \
	echo "make test: $$( [ $$rc -eq 0 ] && echo ok || echo FAILED ) in $$(( $$(date +%s) - start ))s"; \
	exit $$rc

# Fleet compliance: python -m layerwise compliance (layerwise.docker.compliance). make's own exit
# status is 2 on any failure; the plain command exits 0 pass, 1 failed, 2 could not check.
compliance: venv
	@$(BIN)/python -m layerwise compliance -i $(INVENTORY) --limit '$(LIMIT)' \
		$(if $(POLICY),--policy $(POLICY)) $(if $(WAIVERS),--waivers $(WAIVERS))

BENCH_IMAGES ?= 10
BENCH_LAYERS ?= 110
# The lab as it is when every host of its inventory runs; make lab first otherwise.
lab-up: venv engine
	@scripts/lab-is-up.sh || $(MAKE) --no-print-directory lab

bench: lab-up bench-layers
	@BENCH_IMAGES=$(BENCH_IMAGES) BENCH_LAYERS=$(BENCH_LAYERS) scripts/stage.sh "bench" scripts/bench.sh

# The reader and the judge on LAYERS crafted layers (each count), one core, no Docker
# needed: on overlay2, then on the containerd image store.
LAYERS ?= 1111 10000
bench-layers: venv
	@scripts/stage.sh "bench: reader + judge on crafted layers" $(BIN)/python -m scripts.bench_layers $(LAYERS)
	@scripts/stage.sh "bench: reader + judge on crafted layers, containerd store" \
		$(BIN)/python -m scripts.bench_layers --store containerd $(LAYERS)

# A crafted data root (MOVE_LAYERS layers, MOVE_GIB GiB of volume data) copied onto a new
# loop xfs: the move's copy and proof against the cp -a and rsync -aHAX floors. As root.
MOVE_LAYERS ?= 1111
MOVE_GIB ?= 3
bench-move: venv
	@scripts/ensure-tools.sh
	@scripts/stage.sh "bench: data root move" $(BIN)/python -m scripts.bench_move $(MOVE_LAYERS) $(MOVE_GIB)

# A whole move on a real lab host (Docker 20.10, overlay2) holding the sample images and
# containers, MOVE_IMAGES x MOVE_IMAGE_LAYERS more layers and MOVE_GIB GiB more volume data:
# the role's run, Docker's downtime, the copy, the proof and the layer hashing, against cp -a
# and rsync -aHAX of the same tree. As root.
MOVE_IMAGES ?= 10
MOVE_IMAGE_LAYERS ?= 110
bench-move-host: venv engine
	@scripts/stage.sh "bench: data root move on a lab host" $(BIN)/python -m tests.lab.bench_move_host \
		$(MOVE_IMAGES) $(MOVE_IMAGE_LAYERS) $(MOVE_GIB)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache reports mutants
