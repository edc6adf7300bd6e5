package org.racro4j.kernels.cuda;

import java.util.ArrayList;
import java.util.List;

import jcuda.Pointer;

/**
 * The arguments of one kernel launch, in the kernel's parameter order: each is a host pointer to the value,
 * which cuLaunchKernel copies. Device addresses travel as 64-bit integers (the size of a device pointer), and
 * structs as their packed bytes.
 */
final class KernelArgs {
    private final List<Pointer> args = new ArrayList<>(16);

    KernelArgs ptr(long deviceAddress) {
        args.add(Pointer.to(new long[] {deviceAddress}));
        return this;
    }

    KernelArgs i32(int v) {
        args.add(Pointer.to(new int[] {v}));
        return this;
    }

    KernelArgs i64(long v) {
        args.add(Pointer.to(new long[] {v}));
        return this;
    }

    KernelArgs f32(float v) {
        args.add(Pointer.to(new float[] {v}));
        return this;
    }

    KernelArgs struct(byte[] packed) {
        args.add(Pointer.to(packed));
        return this;
    }

    /** The kernelParams array of cuLaunchKernel. */
    Pointer toKernelParams() {
        return Pointer.to(args.toArray(new Pointer[0]));
    }
}
