// The UTF-8 facts the grammar modules use unqualified; decoding and encoding are core/utf8.h's.
// Thread-safe: pure functions.
#pragma once

#include "core/utf8.h"

namespace plexus::sampling::grammar {

using utf8::is_surrogate;
using utf8::kMaxCodePoint;

}  // namespace plexus::sampling::grammar
