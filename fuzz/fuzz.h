/*
 * fuzz.h: what every fuzz target defines: libFuzzer's entry point.  Built
 * with --enable-fuzzing (clang, -fsanitize=fuzzer) by `tools/dev fuzz`;
 * in every other build each target is linked with replay.c instead and
 * replays its corpus (fuzz/corpus/<target>/) as a test of `make check`.
 */
#ifndef GUICHET_FUZZ_H
#define GUICHET_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#endif
