// `bench_server step`: the engine's batched decode step measured directly (see step_bench.cpp).
// Thread-safe: a command entry point; call from main only.
#pragma once

namespace plexus::bench {

// argv[1] is "step"; returns the process exit code.
int step_main(int argc, char** argv);

}  // namespace plexus::bench
