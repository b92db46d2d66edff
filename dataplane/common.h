/*
 * Small shared definitions for every dataplane module: cache-line size,
 * branch hints, array sizing. Types and macros only; no DPDK dependency so
 * that modules testable without an EAL (the store, the RESP parser) can use
 * it too.
 */
#ifndef SL_DATAPLANE_COMMON_H
#define SL_DATAPLANE_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SL_CACHE_LINE 64

#define SL_CACHE_ALIGNED __attribute__((aligned(SL_CACHE_LINE)))

#define sl_likely(x)   __builtin_expect(!!(x), 1)
#define sl_unlikely(x) __builtin_expect(!!(x), 0)

#define SL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SL_MAX(a, b) ((a) > (b) ? (a) : (b))

#define sl_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Burst size used on every per-lcore path (rx, parse, execute, tx). */
#define SL_BURST 32

#endif /* SL_DATAPLANE_COMMON_H */
