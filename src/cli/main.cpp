// plexus: one binary for running, serving and inspecting models.
#include <iostream>

#include "cli/cli_util.h"
#include "cli/commands.h"

namespace plexus::cli {

int& exit_code() {
  static int code = 0;
  return code;
}

}  // namespace plexus::cli

int main(int argc, char** argv) {
  CLI::App app{"plexus: run, serve and inspect GGUF language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "plexus 0.1.0");
  plexus::cli::add_run_command(app);
  plexus::cli::add_tokenize_command(app);
  plexus::cli::add_show_command(app);
  plexus::cli::add_serve_command(app);
  plexus::cli::add_render_template_command(app);
  plexus::cli::add_quantize_command(app);
  plexus::cli::add_bench_command(app);
  plexus::cli::add_synth_command(app);
  plexus::cli::add_embed_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << " (see plexus --help)" << std::endl;
    return 2;
  }
  return plexus::cli::exit_code();
}
