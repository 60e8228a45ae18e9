# The two commands of the README: `make run` (or `go run ./cmd/gridd`) and
# `make test`.
.PHONY: run test bench fixtures

run:
	go run ./cmd/gridd

test:
	./scripts/test.sh

bench:
	go test -run '^$$' -bench . -benchmem ./...

fixtures:
	go run ./cmd/gridctl fixtures pukou --out fixtures/pukou
