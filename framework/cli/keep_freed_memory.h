// How the sluice process asks glibc's malloc to treat freed memory.
#pragma once

namespace sluice::cli {

// Frames, tensors and a model's activations are large buffers that come and go at every
// frame. With glibc's defaults, freed ones are unmapped or trimmed back to the system and
// faulted in again on the next frame: resident memory then swings by a model's working set
// (CenterNet under overload: 370-477 MB over 60 s) and every frame pays the page faults.
// Keeping freed memory for reuse holds resident memory flat at the pipeline's high-water
// mark (bench/RESULTS.md, "Memory under overload"). A GLIBC_TUNABLES setting of
// glibc.malloc.* wins over this.
void keep_freed_memory();

}  // namespace sluice::cli
