// Small helpers shared by the CLI commands: one-line errors, reading stdin, JSON-safe text.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace plexus::cli {

// Prints "error: <message>" on one line to stderr and returns 1.
int fail(const Status& status);
int fail(std::string_view message);

// "-" reads all of stdin; anything else is returned as is.
std::string text_or_stdin(const std::string& arg);

// Replaces invalid UTF-8 sequences with U+FFFD so the text can go into JSON.
std::string valid_utf8(std::string_view bytes);

// Threads to use when -t is not given: the machine's cores.
int default_threads();

}  // namespace plexus::cli
