// Records the largest single operator-new allocation of the test binary it is linked into
// (alloc_tracker.cpp replaces the global operator new/delete), so tests can check that a hostile
// count never turns into a huge reserve.
#pragma once

#include <cstddef>

namespace plexus::gguf::testing {

void reset_largest_allocation();
size_t largest_allocation();  // bytes, since the last reset

}  // namespace plexus::gguf::testing
