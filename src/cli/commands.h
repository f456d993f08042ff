// Every `plexus` sub-command registers itself on the CLI11 app through one function here.
// Each command's callback returns a process exit code through CommandResult.
#pragma once

#include <CLI/CLI.hpp>

namespace plexus::cli {

// Set by a command's callback; main() returns it.
int& exit_code();

void add_run_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_show_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_render_template_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_embed_command(CLI::App& app);

}  // namespace plexus::cli
