#!/bin/sh
# Seed corpora for the fuzz targets: real .gopclntab sections and binaries of the `symbols`
# fixture (Go 1.21 and 1.27, stripped and PIE), plus small synthetic tables.
set -e
cd "$(dirname "$0")"
root=..
mkdir -p corpus/pclntab_parse corpus/pclntab_parse_small corpus/elf_open
for v in 1.21 1.27; do
  for mode in stripped pie; do
    bin=$(python3 $root/tests/gofixtures.py symbols $v $mode)
    cp "$bin" corpus/elf_open/seed-$v-$mode
    for sec in .gopclntab .data.rel.ro.gopclntab; do
      if objcopy -O binary --only-section=$sec "$bin" /tmp/wslgo-seed.$$ 2>/dev/null \
          && [ -s /tmp/wslgo-seed.$$ ]; then
        mv /tmp/wslgo-seed.$$ corpus/pclntab_parse/seed-$v-$mode.tab
      fi
    done
  done
done
rm -f /tmp/wslgo-seed.$$
(cd $root && WSLGO_FUZZ_SEED_DIR=$PWD/fuzz/corpus/pclntab_parse_small \
  cargo test -q --lib dump_synthetic_fuzz_seeds -- --ignored)
cp corpus/pclntab_parse_small/* corpus/pclntab_parse/
# Small ELF files around the synthetic tables (fast seeds for elf_open).
mkdir -p corpus/elf_open_small
for tab in corpus/pclntab_parse_small/*.tab; do
  python3 mkelf.py "$tab" corpus/elf_open_small
done
# core_goroutines: the grstates fixture (Go 1.24, optimized) and the GOTRACEBACK=crash core
# it leaves (made once: a running fuzzer reads them); the input corpus starts with an empty
# patch list and one patch.
mkdir -p corpus/core_seed corpus/core_goroutines
if [ ! -s corpus/core_seed/core ]; then
  bin=$(python3 $root/tests/gofixtures.py grstates 1.24 opt)
  cp "$bin" corpus/core_seed/binary
  (cd corpus/core_seed && rm -f core.* && ulimit -c unlimited \
    && { GOTRACEBACK=crash ./binary crash >/dev/null 2>&1 || true; })
  c=$(ls corpus/core_seed/core* 2>/dev/null | head -n 1)
  [ -n "$c" ] || { echo "seeds.sh: no core written (core_pattern: $(cat /proc/sys/kernel/core_pattern))" >&2; exit 1; }
  [ "$c" = corpus/core_seed/core ] || mv "$c" corpus/core_seed/core
fi
printf '' > corpus/core_goroutines/empty
printf '\000\020\000\000\010\377\377\377\377\377\377\377\377' > corpus/core_goroutines/one-patch
# snapshot_read: the JSON Lines of a small --save file (docs/pprof.md's format; the target
# gzips its input too): a header, a running goroutine and two blocked at one place.
mkdir -p corpus/snapshot_read
cat > corpus/snapshot_read/seed.jsonl <<'JSONL'
{"binary":"/src/app","build_id":"c230fcea","format":"wslgo-snapshot","goroutines":3,"now":12829015880288,"time_nanos":1796619967906626695,"version":1}
{"id":1,"status":"running","state":"running","wait":"","waitsince":0,"pcs":[4806368,4806714,4429579],"location":"main.tick /src/app/main.go:47","user_pc":4806368,"created_by":"","parent":0,"system":false,"labels":[]}
{"id":7,"status":"waiting","state":"chan receive","wait":"chan receive","waitsince":12829015000000,"pcs":[4429000,4806000],"location":"main.leak /src/app/main.go:40","user_pc":4806000,"created_by":"main.main /src/app/main.go:30","parent":1,"system":false,"labels":[["k","v"]]}
{"id":8,"status":"waiting","state":"chan receive","wait":"chan receive","waitsince":0,"pcs":[4429000,4806000],"location":"main.leak /src/app/main.go:40","user_pc":4806000,"created_by":"main.main /src/app/main.go:30","parent":1,"system":false,"labels":[]}
JSONL
