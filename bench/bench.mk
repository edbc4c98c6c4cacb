# bench/bench.mk: benchmarks that live only in bench/ (make bench; not part of make check)
BENCHES += bench/provider_bench.sh
