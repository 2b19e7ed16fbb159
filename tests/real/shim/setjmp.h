/* setjmp/longjmp for wasm32-wasi builds whose wasi-libc has none.
 *
 * Debian's wasi-libc (2022) ships no <setjmp.h>.  Compiled with
 * `-mllvm -wasm-enable-sjlj -mllvm -wasm-use-legacy-eh=false`, clang lowers
 * every setjmp/longjmp call into the exception-handling proposal's
 * instructions (try_table, throw with the __c_longjmp tag) plus calls to the
 * three helpers that wasm_sjlj.c defines.  This header only has to give the
 * two functions their C types and make jmp_buf large enough for the helpers'
 * record (see wasm_sjlj.c). */
#ifndef STRATA_REAL_SETJMP_H
#define STRATA_REAL_SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

/* Four pointer-sized words: invocation id, label, longjmp env, longjmp value. */
typedef struct { void *words[4]; } jmp_buf[1];

int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);

#ifdef __cplusplus
}
#endif

#endif
