// The input projection made on the second core while the first runs the time loop.
//
// Why: when one thread runs the whole time loop (batch 1, or a batch too small to split between the
// cores), the loop is a chain of per-step products, each bound by reading U from the L2 cache, and
// the hoisted input projection X @ W.T (about a quarter of the batch-1 LSTM forward at
// (1, 200, 128, 128)) had to be finished before the first step. Step t only needs the projection of
// its own rows, so a helper thread makes it in chunks of a few steps, ahead of the loop, on the
// packed kernel (no BLAS thread pool involved).
//
// The work is cut into units: unit 0 packs W.T, unit 1 + c computes chunk c (about 24 rows). Units
// are claimed in order from a shared counter by whichever thread gets there first. The loop, before
// step t, checks that t's chunk is done; if that unit is not claimed yet, the loop claims and does
// units itself. So nothing waits for the helper to start: if it never gets a core (a busy machine),
// the loop makes the projection as it goes. The loop only waits for a unit that the helper has
// claimed and not finished (microseconds, unless the helper is descheduled in the middle of it), and
// never for the helper to finish or to stop: there is no join, unlike an OpenMP region, whose end
// waits for a thread that may not have run yet.
//
// The helper is one thread for the process, started on first use, asleep on a futex between jobs
// (Linux; elsewhere the loop does every unit itself). One job at a time: a second Python thread
// calling in meanwhile does its units itself. A forked child starts its own helper.
//
// `sync` (int, zeroed by the caller, ahead_sync_size(T, B) of them): sync[0] = 1 if the helper takes
// part, sync[1] its job's generation, sync[2] the units claimed when it does not; sync[AHEAD_DONE + u]
// is set (release) once unit u is done, a cache line after the rest.
#pragma once
#include <algorithm>
#include <cstdint>
#include <sched.h>
#include "stepgemm.hpp"
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#endif

namespace lstmx {

constexpr int AHEAD_DONE = 16;

// Steps a chunk: about 24 rows (B a step), enough for the packed kernel's 6-row tiles.
static inline int ahead_steps(int B) { return std::max(1, 24 / std::max(B, 1)); }
static inline int ahead_units(int T, int B) { return 1 + (T + ahead_steps(B) - 1) / ahead_steps(B); }
static inline int ahead_sync_size(int T, int B) { return AHEAD_DONE + ahead_units(T, B); }

static inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Unit u: 0 packs W (G, I) as W.T; 1 + c makes out[rows of chunk c] = X[those rows] @ W.T. Then marks it done.
template <typename real>
void ahead_unit(int u, const real* X, int I, const real* W, real* WT_packed, int G, real* out, int T, int B,
                int* done) {
    if (u == 0) {
        pack_panels(W, I, true, I, G, WT_packed);
    } else {
        // the chunks are claimed after unit 0, but it may still be in the making
        for (int spins = 0; !__atomic_load_n(done, __ATOMIC_ACQUIRE); spins++)
            if (spins < 4000) cpu_relax(); else sched_yield();
        const int steps = ahead_steps(B), t0 = (u - 1) * steps, t1 = std::min(T, t0 + steps);
        const long r0 = (long)t0 * B;
        step_gemm(X + r0 * I, I, (t1 - t0) * B, I, WT_packed, G, out + r0 * G, G, false);
    }
    __atomic_store_n(done + u, 1, __ATOMIC_RELEASE);
}

#ifdef __linux__
// The process's helper: the job it may take part in, and its state. `word` = generation << 32 | units
// claimed: a claim is a compare-and-swap that fails once a newer job has replaced the one it was for,
// so a helper that wakes late never touches a finished job's arrays (the loop does not return before
// every unit is done, so a unit claimed in time is always of a job still running).
struct AheadHelper {
    uint64_t word = 0;
    int posted = 0;            // the latest job's generation; the futex the helper sleeps on
    int busy = 0;              // a job is running
    int starting = 0;          // a thread is (re)starting the helper
    pid_t pid = 0;             // the process the helper runs in
    // the job, written before `word` and `posted` publish it
    const void *X = nullptr, *W = nullptr;
    void *WT_packed = nullptr, *out = nullptr;
    int* done = nullptr;
    int I = 0, G = 0, T = 0, B = 0;
    bool is_double = false;
};

static inline AheadHelper& ahead_helper() {
    static AheadHelper helper;
    return helper;
}

static inline bool ahead_claim(uint64_t* word, uint32_t gen, int units, int* unit) {
    uint64_t w = __atomic_load_n(word, __ATOMIC_ACQUIRE);
    while ((uint32_t)(w >> 32) == gen && (int)(uint32_t)w < units) {
        if (__atomic_compare_exchange_n(word, &w, w + 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            *unit = (int)(uint32_t)w;
            return true;
        }
    }
    return false;
}

static inline void ahead_helper_main(AheadHelper* h) {
    int seen = __atomic_load_n(&h->posted, __ATOMIC_ACQUIRE);
    for (;;) {
        int gen;
        while ((gen = __atomic_load_n(&h->posted, __ATOMIC_ACQUIRE)) == seen)
            syscall(SYS_futex, &h->posted, FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
        seen = gen;
        // the job's fields; if a newer job overwrites them meanwhile, every claim below fails
        const void *X = __atomic_load_n(&h->X, __ATOMIC_RELAXED), *W = __atomic_load_n(&h->W, __ATOMIC_RELAXED);
        void *WT = __atomic_load_n(&h->WT_packed, __ATOMIC_RELAXED), *out = __atomic_load_n(&h->out, __ATOMIC_RELAXED);
        int* done = __atomic_load_n(&h->done, __ATOMIC_RELAXED);
        const int I = __atomic_load_n(&h->I, __ATOMIC_RELAXED), G = __atomic_load_n(&h->G, __ATOMIC_RELAXED);
        const int T = __atomic_load_n(&h->T, __ATOMIC_RELAXED), B = __atomic_load_n(&h->B, __ATOMIC_RELAXED);
        const bool is_double = __atomic_load_n(&h->is_double, __ATOMIC_RELAXED);
        const int units = ahead_units(T, B);
        for (int u; ahead_claim(&h->word, (uint32_t)gen, units, &u);) {
            if (is_double)
                ahead_unit(u, (const double*)X, I, (const double*)W, (double*)WT, G, (double*)out, T, B, done);
            else
                ahead_unit(u, (const float*)X, I, (const float*)W, (float*)WT, G, (float*)out, T, B, done);
        }
    }
}

// Hand the job to the helper if it is free: true if it takes part (sync[0] = 1).
template <typename real>
bool ahead_post(const real* X, int I, const real* W, real* WT_packed, int G, real* out, int T, int B, int* sync) {
    AheadHelper& h = ahead_helper();
    if (__atomic_exchange_n(&h.starting, 1, __ATOMIC_ACQUIRE)) return false;   // never block: do it all here
    const pid_t pid = getpid();
    if (h.pid != pid) {    // first use, or a forked child (which has no helper thread): start one
        h.busy = 0;
        try {
            std::thread(ahead_helper_main, &h).detach();
            h.pid = pid;
        } catch (...) {
        }
    }
    __atomic_store_n(&h.starting, 0, __ATOMIC_RELEASE);
    if (h.pid != pid || __atomic_exchange_n(&h.busy, 1, __ATOMIC_ACQUIRE)) return false;
    uint32_t gen = (uint32_t)__atomic_load_n(&h.posted, __ATOMIC_RELAXED) + 1u;
    if (gen == 0) gen = 1;   // 0 is no job
    __atomic_store_n(&h.X, (const void*)X, __ATOMIC_RELAXED);
    __atomic_store_n(&h.W, (const void*)W, __ATOMIC_RELAXED);
    __atomic_store_n(&h.WT_packed, (void*)WT_packed, __ATOMIC_RELAXED);
    __atomic_store_n(&h.out, (void*)out, __ATOMIC_RELAXED);
    __atomic_store_n(&h.done, sync + AHEAD_DONE, __ATOMIC_RELAXED);
    __atomic_store_n(&h.I, I, __ATOMIC_RELAXED);
    __atomic_store_n(&h.G, G, __ATOMIC_RELAXED);
    __atomic_store_n(&h.T, T, __ATOMIC_RELAXED);
    __atomic_store_n(&h.B, B, __ATOMIC_RELAXED);
    __atomic_store_n(&h.is_double, sizeof(real) == 8, __ATOMIC_RELAXED);
    __atomic_store_n(&h.word, (uint64_t)gen << 32, __ATOMIC_RELEASE);
    __atomic_store_n(&h.posted, (int)gen, __ATOMIC_RELEASE);
    syscall(SYS_futex, &h.posted, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    sync[0] = 1;
    sync[1] = (int)gen;
    return true;
}
#endif

// Start a job: the helper takes part if there is one and it is free. Call before the loop.
template <typename real>
void ahead_begin(const real* X, int I, const real* W, real* WT_packed, int G, real* out, int T, int B, int* sync) {
#ifdef __linux__
    ahead_post(X, I, W, WT_packed, G, out, T, B, sync);
#endif
}

// Before step t of the loop: the rows of step t are in `out` when this returns. Does the unclaimed
// units up to t's itself; waits only for one the helper is doing (spinning, then yielding the core).
template <typename real>
void ahead_ready(int t, const real* X, int I, const real* W, real* WT_packed, int G, real* out, int T, int B,
                 int* sync) {
    const int need = 1 + t / ahead_steps(B), units = ahead_units(T, B);
    int* done = sync + AHEAD_DONE;
    if (__atomic_load_n(done + need, __ATOMIC_ACQUIRE)) return;
    int u;
    for (;;) {
#ifdef __linux__
        if (sync[0]) {
            AheadHelper& h = ahead_helper();
            if ((int)(uint32_t)__atomic_load_n(&h.word, __ATOMIC_ACQUIRE) > need ||
                !ahead_claim(&h.word, (uint32_t)sync[1], units, &u))
                break;
        } else
#endif
        {
            if (sync[2] > need) break;
            u = sync[2]++;
        }
        ahead_unit(u, X, I, W, WT_packed, G, out, T, B, done);
    }
    for (int spins = 0; !__atomic_load_n(done + need, __ATOMIC_ACQUIRE); spins++)
        if (spins < 4000) cpu_relax(); else sched_yield();
}

// After the loop: closes the job (every unit not yet claimed is claimed here, and left undone), waits
// for the units the helper claimed, and frees the helper for the next job. The loop has waited for
// every unit it read, so this only waits when it read none (T = 0); but after it returns, the helper
// never touches this job's arrays again.
static inline void ahead_end(int T, int B, int* sync) {
#ifdef __linux__
    if (!sync[0]) return;
    AheadHelper& h = ahead_helper();
    const uint32_t gen = (uint32_t)sync[1];
    const int units = ahead_units(T, B);
    uint64_t w = __atomic_load_n(&h.word, __ATOMIC_ACQUIRE);
    while ((uint32_t)(w >> 32) == gen && (int)(uint32_t)w < units &&
           !__atomic_compare_exchange_n(&h.word, &w, ((uint64_t)gen << 32) | (uint32_t)units, true, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
    }
    const int claimed = std::min(units, (int)(uint32_t)w);
    for (int u = 0; u < claimed; u++)
        for (int spins = 0; !__atomic_load_n(sync + AHEAD_DONE + u, __ATOMIC_ACQUIRE); spins++)
            if (spins < 4000) cpu_relax(); else sched_yield();
    __atomic_store_n(&h.busy, 0, __ATOMIC_RELEASE);
#endif
}

}  // namespace lstmx
