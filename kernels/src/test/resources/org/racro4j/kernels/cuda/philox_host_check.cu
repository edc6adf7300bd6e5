// A host program that prints Philox4x32-10 blocks computed by philox.cuh, for PhiloxHostCheckTest to compare
// with core's Java reference. Arguments: counter seed [counter seed ...] as unsigned decimals.
#include "philox.cuh"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const u64 counter = strtoull(argv[i], nullptr, 10);
        const u64 seed = strtoull(argv[i + 1], nullptr, 10);
        const PhiloxWords w = philox4x32_10(counter, seed);
        printf("%u %u %u %u %.9g\n", w.w[0], w.w[1], w.w[2], w.w[3], (double)philox_uniform01(w.w[0]));
    }
    return 0;
}
