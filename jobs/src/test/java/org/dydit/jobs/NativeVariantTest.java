package org.dydit.jobs;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeVariantTest {

    static final String ZEN5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
            + "flags\t\t: fpu vme sse sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_bf16\n";
    static final String HASWELL = "processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma avx512_fake\n";

    @Test
    void readsTheFlagsLine() {
        assertTrue(NativeVariant.hasAvx512f(ZEN5));
        assertFalse(NativeVariant.hasAvx512f(HASWELL));   // a flag that only starts with avx512 does not count
        assertFalse(NativeVariant.hasAvx512f("model name : avx512f in the name\n"));
    }

    @Test
    void plainNativesOnlyWithoutAvx512OrWhenForced() {
        assertFalse(NativeVariant.needsPlain(null, "Linux", "amd64", ZEN5));
        assertTrue(NativeVariant.needsPlain(null, "Linux", "amd64", HASWELL));
        assertTrue(NativeVariant.needsPlain("1", "Linux", "amd64", ZEN5));
        assertFalse(NativeVariant.needsPlain("0", "Linux", "amd64", ZEN5));
        // Not x86 Linux, or no cpuinfo: leave JavaCPP's own choice alone.
        assertFalse(NativeVariant.needsPlain(null, "Mac OS X", "aarch64", HASWELL));
        assertFalse(NativeVariant.needsPlain(null, "Linux", "amd64", null));
    }
}
