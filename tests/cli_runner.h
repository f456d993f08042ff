// Runs the real `plexus` binary as a user would, for every test that drives the CLI.
// Thread-safe: each call uses its own temporary files.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_paths.h"

namespace plexus::cli_testing {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

// Runs `plexus ARGS` through the shell, capturing stdout and stderr separately.
inline Outcome plexus(const std::string& args, const std::string& stdin_text = "") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(std::rand());
  const std::filesystem::path in = dir / ("plexus_in_" + tag), err = dir / ("plexus_err_" + tag);
  std::ofstream(in) << stdin_text;
  const std::string cmd = quote(testing::plexus_binary().string()) + " " + args + " <" + quote(in.string()) + " 2>" +
                          quote(err.string());
  Outcome o;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return o;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  const int status = ::pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream ss;
  ss << std::ifstream(err).rdbuf();
  o.err = ss.str();
  std::filesystem::remove(in);
  std::filesystem::remove(err);
  return o;
}

inline std::string model(const std::string& name) { return quote((testing::shared_dir() / "models" / name).string()); }

inline size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace plexus::cli_testing
