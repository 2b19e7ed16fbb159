/* The run-time half of clang's setjmp/longjmp lowering to wasm exceptions.
 *
 * With `-mllvm -wasm-enable-sjlj`, clang rewrites a function that calls
 * setjmp so that: setjmp(env) records (env, label, invocation id) through
 * __wasm_setjmp; longjmp(env, val) becomes __wasm_longjmp, which throws the
 * __c_longjmp tag with a pointer to {env, val}; and every call in that
 * function catches the tag and asks __wasm_setjmp_test whether the env
 * belongs to this very invocation (returning the label to jump to) or not
 * (0: rethrow to an outer frame).  The record lives in the caller's jmp_buf,
 * whose layout only these three functions know. */
#include <stdint.h>
#include <stddef.h>

struct sjlj_record {
  void *invocation; /* identifies the frame that called setjmp */
  uint32_t label;   /* where that frame resumes; never 0 */
  struct sjlj_args {
    void *env;      /* the jmp_buf given to longjmp */
    int val;        /* setjmp's second return value, never 0 */
  } args;
};

/* The tag itself: an exception carrying one i32 (the pointer to args).  The
 * lowered code refers to it by this name; some libc must define it. */
__asm__(".globl __c_longjmp\n"
        ".tagtype __c_longjmp i32\n"
        "__c_longjmp:\n");

_Static_assert(sizeof(struct sjlj_record) <= 4 * sizeof(void *),
               "jmp_buf in setjmp.h must hold the record");

void __wasm_setjmp(void *env, uint32_t label, void *invocation) {
  struct sjlj_record *r = env;
  if (label == 0 || invocation == NULL)
    __builtin_trap();
  r->invocation = invocation;
  r->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *invocation) {
  struct sjlj_record *r = env;
  if (r->label == 0 || invocation == NULL)
    __builtin_trap();
  return r->invocation == invocation ? r->label : 0;
}

_Noreturn void __wasm_longjmp(void *env, int val) {
  struct sjlj_record *r = env;
  r->args.env = env;
  r->args.val = val == 0 ? 1 : val;
  /* Tag 1 is __c_longjmp, the one the lowered catch sites look for. */
  __builtin_wasm_throw(1, &r->args);
}
