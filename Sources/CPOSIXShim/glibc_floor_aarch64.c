// The aarch64 build's floors are Amazon Linux 2023's, as on x86_64: glibc 2.34 and GCC 11's libstdc++
// (GLIBCXX_3.4.29). It is cross-built with Debian 13's Swift (scripts/lib/cross-arm64.sh), whose statically
// linked runtime (libswiftCore, libswift_Concurrency, libdispatch, Foundation) was compiled against glibc 2.41
// and GCC 14 headers. Those headers redirect some calls to symbols that older systems lack: C23's
// __isoc23_strtol, __isoc23_strtoll and __isoc23_sscanf, strlcpy and the fmod, fmodf (GLIBC_2.38) and hypotf
// (GLIBC_2.35) that lost their SVID error wrappers, and libstdc++'s assertion handler (GLIBCXX_3.4.30). Each is
// defined here, in the executable, so the runtime's references bind to these definitions and no versioned import
// of them is made. They compute through the GLIBC_2.17 symbols that every aarch64 glibc has (2.17 is the first
// aarch64 release). The binary exports them (the static runtime links with --export-dynamic), so a system
// library loaded later that asks for one of them gets the same results, but for C23's "0b" prefix in strtol.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// __GLIBC__ comes from the headers above.
#if defined(__aarch64__) && defined(__GLIBC__)

double adjoin_fmod_2_17(double x, double y);
float adjoin_fmodf_2_17(float x, float y);
float adjoin_hypotf_2_17(float x, float y);
long adjoin_strtol_2_17(const char *string, char **end, int base);
long long adjoin_strtoll_2_17(const char *string, char **end, int base);
int adjoin_vsscanf_2_17(const char *string, const char *format, va_list arguments);
__asm__(".symver adjoin_fmod_2_17, fmod@GLIBC_2.17");
__asm__(".symver adjoin_fmodf_2_17, fmodf@GLIBC_2.17");
__asm__(".symver adjoin_hypotf_2_17, hypotf@GLIBC_2.17");
__asm__(".symver adjoin_strtol_2_17, strtol@GLIBC_2.17");
__asm__(".symver adjoin_strtoll_2_17, strtoll@GLIBC_2.17");
__asm__(".symver adjoin_vsscanf_2_17, __isoc99_vsscanf@GLIBC_2.17");

// Declared here rather than taken from <math.h>: its declarations may carry the redirects this file replaces.
double fmod(double x, double y);
float fmodf(float x, float y);
float hypotf(float x, float y);

double fmod(double x, double y) { return adjoin_fmod_2_17(x, y); }
float fmodf(float x, float y) { return adjoin_fmodf_2_17(x, y); }
float hypotf(float x, float y) { return adjoin_hypotf_2_17(x, y); }

long __isoc23_strtol(const char *string, char **end, int base);
long long __isoc23_strtoll(const char *string, char **end, int base);
int __isoc23_sscanf(const char *string, const char *format, ...);

long __isoc23_strtol(const char *string, char **end, int base) { return adjoin_strtol_2_17(string, end, base); }
long long __isoc23_strtoll(const char *string, char **end, int base) { return adjoin_strtoll_2_17(string, end, base); }

int __isoc23_sscanf(const char *string, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int result = adjoin_vsscanf_2_17(string, format, arguments);
    va_end(arguments);
    return result;
}

// glibc 2.38's strlcpy (from the BSDs): copies at most size - 1 bytes, always terminates when size > 0, and returns
// the length of the source, so that a caller can tell it was cut.
size_t strlcpy(char *restrict destination, const char *restrict source, size_t size);
size_t strlcpy(char *restrict destination, const char *restrict source, size_t size) {
    size_t length = strlen(source);
    if (size > 0) {
        size_t copied = length < size - 1 ? length : size - 1;
        memcpy(destination, source, copied);
        destination[copied] = '\0';
    }
    return length;
}

// std::__glibcxx_assert_fail(const char *file, int line, const char *function, const char *condition), which
// libstdc++'s headers call when a checked precondition fails (_GLIBCXX_ASSERTIONS): report it and abort, as the
// library's own does.
__attribute__((noreturn)) void adjoin_glibcxx_assert_fail(const char *file, int line, const char *function,
                                                          const char *condition)
    __asm__("_ZSt21__glibcxx_assert_failPKciS0_S0_");
__attribute__((noreturn)) void adjoin_glibcxx_assert_fail(const char *file, int line, const char *function,
                                                          const char *condition) {
    if (file != NULL && function != NULL && condition != NULL) {
        fprintf(stderr, "%s:%d: %s: Assertion '%s' failed.\n", file, line, function, condition);
    }
    abort();
}
#endif
