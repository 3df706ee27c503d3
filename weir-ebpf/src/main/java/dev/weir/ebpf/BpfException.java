package dev.weir.ebpf;

/**
 * Every error this library raises about BPF objects. Unchecked and sealed: a caller can tell a kernel
 * refusal ({@link BpfKernelException}), a verifier rejection ({@link BpfVerifierException}) and an
 * unreadable object file ({@link BpfSpecException}) apart with an exhaustive switch.
 */
public abstract sealed class BpfException extends RuntimeException
        permits BpfKernelException, BpfVerifierException, BpfSpecException {

    BpfException(String message) {
        super(message);
    }

    BpfException(String message, Throwable cause) {
        super(message, cause);
    }
}
