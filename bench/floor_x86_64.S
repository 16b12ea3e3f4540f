/* The floors of jiffi's two call shapes on x86-64, hand-written: what the shapes cost with
   no code of jiffi's own, measured beside the JIT's stubs and thunks. */

    .text

/* The invoker shape, void invoker(void *fn, const jiffi_slot *args, void *ret), for
   int64_t (int64_t, int64_t, int64_t): load three slots, call fn, store the result. */
    .globl bench_floor_invoker
    .type bench_floor_invoker, @function
    .p2align 4
bench_floor_invoker:
    push %rbx
    mov %rdx, %rbx
    mov %rdi, %rax
    mov (%rsi), %rdi
    mov 16(%rsi), %rdx
    mov 8(%rsi), %rsi
    call *%rax
    mov %rax, (%rbx)
    pop %rbx
    ret
    .size bench_floor_invoker, .-bench_floor_invoker

/* The callback shape for int64_t (int64_t, int64_t): an entry that finds its slot and jumps
   to the slot's thunk, as a trampoline does, and a thunk that stores the arguments in slots
   and calls handler(user_data, slots, ret). No in-flight counting, no stack realignment. */
    .globl bench_floor_callback
    .type bench_floor_callback, @function
    .p2align 4
bench_floor_callback:
    lea floor_slot(%rip), %r10
    jmp *floor_slot(%rip)
    .size bench_floor_callback, .-bench_floor_callback

    .type floor_thunk, @function
    .p2align 4
floor_thunk:
    sub $40, %rsp
    mov %rdi, (%rsp)
    mov %rsi, 8(%rsp)
    movq $0, 16(%rsp)
    mov 16(%r10), %rdi
    mov %rsp, %rsi
    lea 16(%rsp), %rdx
    call *8(%r10)
    mov 16(%rsp), %rax
    add $40, %rsp
    ret
    .size floor_thunk, .-floor_thunk

    .data
    .p2align 5
/* target, handler, user_data: the layout of a callback's data slot. */
floor_slot:
    .quad floor_thunk
    .quad bench_cb_handler
    .quad 0

    .section .note.GNU-stack, "", @progbits
