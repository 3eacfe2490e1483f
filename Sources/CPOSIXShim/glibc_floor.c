// The agent must start on glibc 2.34 (Amazon Linux 2023, RHEL 9). glibc 2.35 gave hypot and hypotf new symbol
// versions, and the statically linked Swift runtime, built on a newer glibc, asks for hypotf@GLIBC_2.35: the
// one reference that would raise the binary's floor above 2.34. Defined here, in the executable, the runtime's
// reference binds to this definition and no versioned import is made; it computes through the double-precision
// hypot of the version every x86_64 glibc has (the float result is the double one rounded once more).
#include <math.h>

#if defined(__x86_64__) && defined(__GLIBC__)
double adjoin_hypot_2_2_5(double x, double y);
__asm__(".symver adjoin_hypot_2_2_5, hypot@GLIBC_2.2.5");

float hypotf(float x, float y) {
    return (float)adjoin_hypot_2_2_5((double)x, (double)y);
}
#endif
