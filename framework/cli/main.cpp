// The `sluice` command: run, validate, plugins, inspect, graph.
//
// Exit codes: 0 success; 1 the run failed; 2 a bad pipeline file, bad arguments, or
// plugins that cannot be loaded.
#include <fmt/format.h>
#include <signal.h>
#include <sluice/text.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "build_info.h"
#include "framework_keys.h"
#include "http_service.h"
#include "runner.h"
#include "session.h"

namespace rt = sluice::runtime;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitBadInput = 2;

// Plugins built elsewhere may quote a file's raw bytes: the terminal gets them escaped.
void print_error(const std::string& message) {
  std::cerr << "sluice: error: " << sluice::printable(message) << "\n";
}

int report_diagnostics(const rt::Diagnostics& diagnostics, const sluice::Status& status) {
  if (diagnostics.empty()) print_error(status.message());
  for (const auto& d : diagnostics) std::cerr << d.to_string() << "\n";
  return kExitBadInput;
}

// ---- signals: the first stops the sources and drains; the second exits at once.
std::atomic<rt::Runner*> g_runner{nullptr};
std::atomic<int> g_signals{0};

void on_signal(int) {
  if (g_signals.fetch_add(1) > 0) _exit(130);
  if (rt::Runner* r = g_runner.load()) r->request_stop();
  static const char kMessage[] =
      "\nsluice: stopping: draining what is in flight (signal again to exit now)\n";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// ---- progress line, on a terminal only.
class ProgressLine {
 public:
  ProgressLine(const rt::Runner& runner, bool enabled) : runner_(runner) {
    if (enabled) thread_ = std::thread([this] { loop(); });
  }
  ~ProgressLine() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
    std::fprintf(stderr, "\r\033[K");
  }

 private:
  void loop() {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    int64_t last_frames = 0;
    auto last_time = start;
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return done_; })) {
      const rt::Progress p = runner_.progress();
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - last_time).count();
      const double fps = dt > 0 ? static_cast<double>(p.frames - last_frames) / dt : 0;
      last_frames = p.frames;
      last_time = now;
      std::string line = fmt::format("frames {}", p.frames);
      if (p.expected >= 0) line += fmt::format("/{}", p.expected);
      line += fmt::format("  {:.1f} fps  {:.0f}s", fps,
                          std::chrono::duration<double>(now - start).count());
      if (p.expected >= 0 && fps > 0) {
        const auto eta = static_cast<int64_t>(
            static_cast<double>(std::max<int64_t>(p.expected - p.frames, 0)) / fps);
        line += fmt::format("  ETA {}:{:02}", eta / 60, eta % 60);
      }
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    }
  }
  const rt::Runner& runner_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

std::vector<rt::Override> overrides_of(const std::vector<std::string>& sets) {
  std::vector<rt::Override> out;
  for (const auto& s : sets) out.push_back({s});
  return out;
}

struct RunOptions {
  std::string stats_json;
  bool quiet = false;
  std::string http;                         // --http HOST:PORT ("" : the pipeline file's, or none)
  std::string http_token;                   // --http-token, else SLUICE_HTTP_TOKEN
  double preview_fps = 5;                   // --preview-fps
  std::vector<std::string> http_allow_uri;  // --http-allow-uri, repeated
};

int cmd_run(const std::string& file, const std::vector<std::string>& sets,
            const std::vector<std::string>& plugin_dirs, const RunOptions& o) {
  const std::string& stats_json = o.stats_json;
  const bool quiet = o.quiet;
  rt::Diagnostics diagnostics;
  auto session = rt::open_session(file, overrides_of(sets), plugin_dirs, diagnostics);
  if (!session.ok()) return report_diagnostics(diagnostics, session.status());

  rt::Runner runner(session->pipeline);
  // The service plane, before the nodes open (so /healthz and /readyz answer during a long
  // model load); it stops after the run, once its last figures could be read.
  std::unique_ptr<sluice::service::HttpService> http;
  if (const std::string address = o.http.empty() ? session->spec.http : o.http; !address.empty()) {
    auto options = sluice::service::parse_http_address(address);
    if (!options.ok()) {
      print_error(options.status().message());
      return kExitBadInput;
    }
    options->token = o.http_token;
    options->preview_fps = o.preview_fps;
    options->allowed_uri_prefixes = o.http_allow_uri;
    runner.set_serving(true);
    if (options->token.empty())
      if (const char* env = std::getenv("SLUICE_HTTP_TOKEN")) options->token = env;
    http = std::make_unique<sluice::service::HttpService>(session->pipeline, runner);
    if (sluice::Status s = http->start(*options); !s.ok()) {
      print_error(s.message());
      return kExitBadInput;
    }
    if (!quiet)
      std::cerr << fmt::format("sluice: serving http on {}:{}\n", options->host, http->port());
  }
  g_runner.store(&runner);
  install_signal_handlers();
  rt::RunReport report;
  {
    ProgressLine progress(runner, !quiet && isatty(STDERR_FILENO));
    report = runner.run();
  }
  g_runner.store(nullptr);
  if (http) http->stop();

  if (!quiet) std::cout << format_table(report) << std::flush;
  if (!stats_json.empty()) {
    std::ofstream out(stats_json);
    out << to_json(report);
    if (!out) print_error("cannot write stats to '" + stats_json + "'");
  }
  if (!report.status.ok()) {
    print_error(report.status.message());
    return kExitRunFailed;
  }
  if (report.interrupted)
    std::cerr << "sluice: stopped by signal; outputs were drained and closed\n";
  return kExitOk;
}

int cmd_validate(const std::string& file, const std::vector<std::string>& sets,
                 const std::vector<std::string>& plugin_dirs) {
  rt::Diagnostics diagnostics;
  auto session = rt::open_session(file, overrides_of(sets), plugin_dirs, diagnostics);
  if (!session.ok()) return report_diagnostics(diagnostics, session.status());
  std::cout << fmt::format("{}: ok ({} nodes, {} links)\n", file, session->pipeline.nodes.size(),
                           session->pipeline.edges.size());
  return kExitOk;
}

int cmd_graph(const std::string& file, const std::vector<std::string>& sets,
              const std::vector<std::string>& plugin_dirs) {
  rt::Diagnostics diagnostics;
  auto session = rt::open_session(file, overrides_of(sets), plugin_dirs, diagnostics);
  if (!session.ok()) return report_diagnostics(diagnostics, session.status());
  std::cout << rt::to_dot(session->pipeline);
  return kExitOk;
}

int cmd_plugins(const std::vector<std::string>& plugin_dirs) {
  auto registry = rt::load_plugins(plugin_dirs);
  if (registry.ok()) {
    if (sluice::Status s = (*registry)->load_all(); !s.ok()) registry = s;
  }
  if (!registry.ok()) {
    print_error(registry.status().message());
    return kExitBadInput;
  }
  std::size_t width = 0;
  for (const auto& [name, t] : (*registry)->types()) width = std::max(width, name.size());
  for (sluice::NodeKind kind :
       {sluice::NodeKind::kSource, sluice::NodeKind::kPreprocessor, sluice::NodeKind::kModel,
        sluice::NodeKind::kPostprocessor, sluice::NodeKind::kSink, sluice::NodeKind::kOther}) {
    bool header = false;
    for (const auto& [name, t] : (*registry)->types()) {
      if (t.contract.kind != kind) continue;
      if (!header) std::cout << to_string(kind) << ":\n";
      header = true;
      std::cout << fmt::format("  {:<{}}  {}\n", name, width, t.contract.description);
    }
  }
  std::cout << fmt::format("\n{} node types from {} plugin libraries\n",
                           (*registry)->types().size(), (*registry)->library_count());
  return kExitOk;
}

std::string param_constraints(const sluice::ParamSpec& p) {
  std::string out;
  if (p.min && p.max)
    out = fmt::format(" [{} .. {}]", *p.min, *p.max);
  else if (p.min)
    out = fmt::format(" [>= {}]", *p.min);
  else if (p.max)
    out = fmt::format(" [<= {}]", *p.max);
  if (!p.choices.empty()) {
    out += " {";
    for (std::size_t i = 0; i < p.choices.size(); ++i) out += (i ? ", " : "") + p.choices[i];
    out += "}";
  }
  if (p.is_path) out += " (path, relative to the pipeline file)";
  return out;
}

int cmd_plugin_manifest(const std::vector<std::string>& libraries) {
  for (const auto& library : libraries) {
    if (sluice::Status s = rt::PluginRegistry::write_manifest(library); !s.ok()) {
      print_error(s.message());
      return kExitBadInput;
    }
  }
  return kExitOk;
}

// Text for a Markdown table cell: '|' escaped, newlines as spaces.
std::string cell(std::string text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|')
      out += "\\|";
    else
      out += ch == '\n' ? ' ' : ch;
  }
  return out;
}

// The contract as Markdown, for the plugin READMEs (scripts/plugin_readmes.py puts it
// between their markers, and a ctest fails when a README's copy differs).
void print_markdown(const sluice::Contract& c) {
  std::cout << fmt::format("`{}` ({}{}): {}\n", c.type, to_string(c.kind),
                           c.stateless ? ", stateless: may run with `replicas = N`" : "",
                           cell(c.description));
  auto ports = [](const char* title, const std::vector<sluice::PortSpec>& list, bool inputs) {
    if (list.empty()) return;
    std::cout << fmt::format("\n| {} | type | |\n|---|---|---|\n", title);
    for (const auto& p : list) {
      std::string type = p.type;
      if (!p.same_type_as.empty()) type = "same type as `" + p.same_type_as + "`";
      std::cout << fmt::format("| `{}` | {} | {}{} |\n", p.name, type, cell(p.description),
                               inputs && !p.required ? " (optional)" : "");
    }
  };
  ports("input", c.inputs, true);
  ports("output", c.outputs, false);
  if (c.params.empty()) return;
  std::cout << "\n| param | type | default | |\n|---|---|---|---|\n";
  for (const auto& p : c.params)
    std::cout << fmt::format(
        "| `{}` | {} | {} | {}{} |\n", p.name, to_string(p.type),
        p.required ? "required" : "`" + cell(sluice::to_toml_text(p.default_value)) + "`",
        cell(p.description), cell(param_constraints(p)));
}

int cmd_inspect(const std::string& type, const std::vector<std::string>& plugin_dirs,
                bool markdown) {
  auto registry = rt::load_plugins(plugin_dirs);
  if (!registry.ok()) {
    print_error(registry.status().message());
    return kExitBadInput;
  }
  auto found = (*registry)->lookup(type);
  if (!found.ok()) {
    print_error(found.status().message());
    return kExitBadInput;
  }
  const rt::NodeType* t = *found;
  if (!t) {
    print_error(fmt::format("unknown node type '{}'{}", type,
                            rt::did_you_mean(type, (*registry)->type_names())));
    return kExitBadInput;
  }
  const sluice::Contract& c = t->contract;
  if (markdown) {
    print_markdown(c);
    return kExitOk;
  }
  std::cout << fmt::format("{} ({})\n  {}\n  library: {}\n", c.type, to_string(c.kind),
                           c.description, t->file);
  if (c.stateless) std::cout << "  stateless: may run with replicas = N\n";
  auto ports = [](const char* title, const std::vector<sluice::PortSpec>& list, bool inputs) {
    std::cout << "\n" << title << ":\n";
    if (list.empty()) std::cout << "  (none)\n";
    for (const auto& p : list) {
      std::string type = p.type;
      if (!p.same_type_as.empty()) type = "same type as input '" + p.same_type_as + "'";
      std::cout << fmt::format("  {:<14} {:<18} {}{}\n", p.name, type, p.description,
                               inputs && !p.required ? " (optional)" : "");
    }
  };
  ports("inputs", c.inputs, true);
  ports("outputs", c.outputs, false);
  std::cout << "\nparams:\n";
  if (c.params.empty()) std::cout << "  (none)\n";
  std::size_t width = 14;
  for (const auto& p : c.params) width = std::max(width, p.name.size());
  for (const auto& p : c.params)
    std::cout << fmt::format("  {:<{}} {:<11} = {:<10} {}{}\n", p.name, width, to_string(p.type),
                             p.required ? "(required)" : sluice::to_toml_text(p.default_value),
                             p.description, param_constraints(p));
  std::cout << "\nframework keys (every node):\n";
  for (const rt::FrameworkKey& k : rt::kFrameworkKeys)
    if (k.name != "plugin") std::cout << fmt::format("  {:<{}} {}\n", k.name, width, k.meaning);
  return kExitOk;
}

// What `sluice` alone prints: the commands, one line each (as git and gst-inspect-1.0 do),
// rather than CLI11's "A subcommand is required".
std::string usage(const CLI::App& app) {
  std::string out = "usage: sluice [--version] [--plugin-path DIR] COMMAND [ARGS...]\n\n" +
                    app.get_description() + "\n\ncommands:\n";
  std::size_t width = 0;
  for (const CLI::App* sub : app.get_subcommands({}))
    width = std::max(width, sub->get_name().size());
  for (const CLI::App* sub : app.get_subcommands({}))
    out += fmt::format("  {:<{}}  {}\n", sub->get_name(), width, sub->get_description());
  out += "\n'sluice COMMAND --help' shows a command's arguments; 'sluice --version' its build.\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "sluice: run PyTorch models over images, video, cameras and streams, as TOML pipelines"};
  app.require_subcommand(1);
  app.set_version_flag("--version", sluice::runtime::build_info(), "print the version and exit");
  std::vector<std::string> plugin_dirs;
  app.add_option("--plugin-path", plugin_dirs, "also load plugins from DIR (repeatable)")
      ->type_name("DIR");

  std::string file, stats_json, type;
  std::vector<std::string> sets;
  bool quiet = false;

  auto* run = app.add_subcommand("run", "run a pipeline until its sources end (or SIGINT)");
  run->add_option("pipeline", file, "pipeline TOML file")->required();
  run->add_option("--set", sets, "override a value: nodes.NODE.PARAM=VALUE (repeatable)");
  run->add_option("--stats-json", stats_json, "write per-node statistics as JSON to FILE")
      ->type_name("FILE");
  run->add_flag("-q,--quiet", quiet, "print no progress line and no statistics table");
  RunOptions run_options;
  run->add_option("--http", run_options.http,
                  "serve metrics, health and the pipeline's figures on HOST:PORT (loopback "
                  "unless --http-token is given)")
      ->type_name("HOST:PORT");
  run->add_option("--http-token", run_options.http_token,
                  "token every HTTP request must carry (Authorization: Bearer TOKEN); also "
                  "SLUICE_HTTP_TOKEN")
      ->type_name("TOKEN");
  run->add_option("--preview-fps", run_options.preview_fps,
                  "most pictures a second each /preview/NODE sends (default 5); the pipeline "
                  "never waits for a viewer")
      ->type_name("FPS");
  run->add_option("--http-allow-uri", run_options.http_allow_uri,
                  "only URIs starting with PREFIX may be added through POST "
                  "/api/nodes/NODE/streams (repeatable; default: any)")
      ->type_name("PREFIX");
  run->add_option("--plugin-path", plugin_dirs, "also load plugins from DIR (repeatable)")
      ->type_name("DIR");

  auto* validate = app.add_subcommand("validate", "check a pipeline file without running it");
  validate->add_option("pipeline", file, "pipeline TOML file")->required();
  validate->add_option("--set", sets, "override a value: nodes.NODE.PARAM=VALUE (repeatable)");
  validate->add_option("--plugin-path", plugin_dirs, "also load plugins from DIR (repeatable)")
      ->type_name("DIR");

  auto* graph = app.add_subcommand("graph", "print the pipeline as Graphviz DOT");
  graph->add_option("pipeline", file, "pipeline TOML file")->required();
  graph->add_option("--set", sets, "override a value: nodes.NODE.PARAM=VALUE (repeatable)");
  graph->add_option("--plugin-path", plugin_dirs, "also load plugins from DIR (repeatable)")
      ->type_name("DIR");

  auto* plugins = app.add_subcommand("plugins", "list the node types on the plugin path, by kind");
  plugins->add_option("--plugin-path", plugin_dirs, "also load plugins from DIR (repeatable)")
      ->type_name("DIR");

  auto* inspect = app.add_subcommand("inspect", "print a node type's ports and params");
  inspect->add_option("type", type, "node type name, as in plugin = \"...\"")->required();
  bool markdown = false;
  inspect->add_flag("--markdown", markdown,
                    "print the contract as Markdown tables (the plugin READMEs carry them)");
  inspect->add_option("--plugin-path", plugin_dirs, "also load plugins from DIR (repeatable)")
      ->type_name("DIR");

  std::vector<std::string> manifest_libraries;
  auto* manifest = app.add_subcommand(
      "plugin-manifest",
      "write LIB.nodes (a library's node types) for lazy loading; the build calls it");
  manifest->add_option("library", manifest_libraries, "plugin library files")->required();

  if (argc == 1) {
    std::cerr << usage(app);
    return kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return kExitBadInput;
  }

  try {
    if (*run) {
      run_options.stats_json = stats_json;
      run_options.quiet = quiet;
      return cmd_run(file, sets, plugin_dirs, run_options);
    }
    if (*validate) return cmd_validate(file, sets, plugin_dirs);
    if (*graph) return cmd_graph(file, sets, plugin_dirs);
    if (*plugins) return cmd_plugins(plugin_dirs);
    if (*inspect) return cmd_inspect(type, plugin_dirs, markdown);
    if (*manifest) return cmd_plugin_manifest(manifest_libraries);
  } catch (const std::exception& e) {
    print_error(e.what());
    return kExitRunFailed;
  }
  return kExitBadInput;
}
