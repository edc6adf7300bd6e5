package org.racro4j.kernels.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import jcuda.Pointer;

/**
 * The arguments of one kernel launch, in the kernel's parameter order: each is a host pointer to the value,
 * which cuLaunchKernel copies. Device addresses travel as 64-bit integers (the size of a device pointer), and
 * structs as their packed bytes. What was packed is also kept as a list of {@link Arg}s, so that a host test can
 * hold it against the kernel's C parameter list (KernelSignaturesTest).
 */
final class KernelArgs {
    /** How one argument was packed. */
    enum Kind { PTR, I32, I64, F32, STRUCT }

    /** One argument as packed: its kind and its size in bytes. */
    record Arg(Kind kind, int bytes) {
        @Override
        public String toString() {
            return kind == Kind.STRUCT ? "struct of " + bytes + " bytes" : kind.name().toLowerCase();
        }
    }

    private final List<Pointer> args = new ArrayList<>(16);
    private final List<Arg> layout = new ArrayList<>(16);

    KernelArgs ptr(long deviceAddress) {
        return add(Pointer.to(new long[] {deviceAddress}), Kind.PTR, 8);
    }

    KernelArgs i32(int v) {
        return add(Pointer.to(new int[] {v}), Kind.I32, 4);
    }

    KernelArgs i64(long v) {
        return add(Pointer.to(new long[] {v}), Kind.I64, 8);
    }

    KernelArgs f32(float v) {
        return add(Pointer.to(new float[] {v}), Kind.F32, 4);
    }

    KernelArgs struct(byte[] packed) {
        return add(Pointer.to(packed), Kind.STRUCT, packed.length);
    }

    private KernelArgs add(Pointer value, Kind kind, int bytes) {
        args.add(value);
        layout.add(new Arg(kind, bytes));
        return this;
    }

    /** The arguments as packed, in order. */
    List<Arg> layout() {
        return Collections.unmodifiableList(layout);
    }

    /** The kernelParams array of cuLaunchKernel. */
    Pointer toKernelParams() {
        return Pointer.to(args.toArray(new Pointer[0]));
    }
}
