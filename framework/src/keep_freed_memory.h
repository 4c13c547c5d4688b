// How a process that runs pipelines asks glibc's malloc to treat freed memory.
#pragma once

namespace sluice::runtime {

// Frames, tensors and a model's activations are large buffers that come and go at every
// frame. With glibc's defaults, freed ones are unmapped or trimmed back to the system and
// faulted in again on the next frame: resident memory then swings by a model's working set
// (CenterNet under overload: 370-477 MB over 60 s) and every frame pays the page faults.
// Keeping freed memory for reuse holds resident memory flat at the pipeline's high-water
// mark (bench/RESULTS.md, "Memory under overload").
//
// Runner::run() calls this, so every program that runs pipelines gets it, not only the
// `sluice` command. It changes the whole process's malloc: a program that does not want
// that sets SLUICE_KEEP_FREED_MEMORY=0, and any GLIBC_TUNABLES glibc.malloc.* setting wins
// over it. Applied once per process; later calls do nothing.
void keep_freed_memory();

// Whether keep_freed_memory() has changed malloc's settings in this process.
bool keeping_freed_memory();

// Gives the freed memory malloc keeps back to the system (malloc_trim), when
// keep_freed_memory() applied. The runner calls it when a stream has ended everywhere (at
// most once every 10 s): a long-lived service adds and removes streams, and each new stream's
// threads (a reader, a decoder's) may allocate from other malloc arenas, whose kept memory
// would otherwise add up (bench/RESULTS.md, "Soak": resident memory rose 14 MB over 5
// minutes while the heap in use stayed flat). Trimming costs a few milliseconds and some
// page faults on the next frames, once per stream's end, not per frame.
void release_freed_memory();

}  // namespace sluice::runtime
