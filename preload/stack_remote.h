/* Unwinding another thread of this process from outside it: from a few of its registers (read
 * from /proc/self/task/TID/syscall, or sampled by perf_event_open) and, optionally, a copy of
 * the top of its stack. libunwind's remote interface with accessors of our own: memory is read
 * with process_vm_readv on our own pid, so a wrong address is an error, never a fault; unwind
 * tables are found through dl_iterate_phdr and each object's .eh_frame_hdr. Collector thread
 * only (one unwind at a time). Nothing here touches the thread being unwound. */
#ifndef AS_STACK_REMOTE_H
#define AS_STACK_REMOTE_H

#include <stddef.h>
#include <stdint.h>

/* x86-64 general registers in DWARF order (rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8..r15),
 * then rip: libunwind's UNW_X86_64_* numbers. */
enum { AS_REG_RBP = 6, AS_REG_RSP = 7, AS_REG_RIP = 16, AS_REG_COUNT = 17 };

struct as_stack_regs {
  uint64_t value[AS_REG_COUNT];
  uint32_t known; /* bit per register: 1 = value holds it */
};

/* Why an unwind ended. */
enum as_stack_end {
  AS_STACK_END_OUTERMOST, /* the thread's first frame: the stack is complete */
  AS_STACK_END_DEPTH,     /* the frames buffer was full */
  AS_STACK_END_UNWIND     /* no way on from the last frame (no unwind info for it, or a frame
                             found through a register that is not known) */
};

/* Unwinds from regs. When stack_copy is given, [stack_at, stack_at + stack_len) is read from it
 * instead of from the process (perf's copy of the stack at the moment of the sample). Fills
 * frames with the instruction pointer and then return addresses; returns how many (0 when
 * libunwind's remote interface is unavailable) and sets *end. */
unsigned as_stack_remote_unwind(const struct as_stack_regs *regs, const void *stack_copy,
                                uint64_t stack_at, size_t stack_len, void **frames, unsigned max,
                                enum as_stack_end *end);

/* Fork child of a parent that was unwinding: libunwind's state may hold a lock forever, so this
 * process unwinds nothing from now on. */
void as_stack_remote_disable(void);

/* Reads len bytes at addr of this process without any risk of faulting. 0 or -EFAULT. */
int as_stack_remote_read(uint64_t addr, void *out, size_t len);

#endif
