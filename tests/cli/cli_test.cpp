// The `sluice` command as a user runs it: exit codes, messages, signals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "sluice/text.h"
#include "test_support.h"

namespace sluice::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Cli : public ::testing::Test {
 protected:
  CommandResult sluice(const std::string& args, int timeout_s = 60) {
    return run_sluice(args, {.timeout_s = timeout_s});
  }
  std::string pipeline(const std::string& text, const std::string& name = "p.toml") {
    return dir_.write(name, text);
  }

  TempDir dir_;
};

const char* kGood = R"([pipeline]
name = "cli"
links = ["src -> pass -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 50
[nodes.pass]
plugin = "passthrough"
[nodes.count]
plugin = "count_sink"
path = "counts.json"
)";

TEST_F(Cli, NoArgumentsOrUnknownCommandIsExitTwo) {
  EXPECT_EQ(sluice("").exit_code, 2);
  EXPECT_EQ(sluice("frobnicate").exit_code, 2);
  EXPECT_EQ(sluice("run").exit_code, 2);
  EXPECT_EQ(sluice("--help").exit_code, 0);
}

// `sluice` alone is a newcomer's first command: the commands, one line each, not a bare
// "A subcommand is required".
TEST_F(Cli, NoArgumentsPrintsTheCommands) {
  const auto r = sluice("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("usage: sluice"));
  for (const char* command : {"run", "validate", "graph", "plugins", "inspect"})
    EXPECT_THAT(r.output, ::testing::ContainsRegex(std::string("\n  ") + command + " +[a-z]"))
        << command;
  EXPECT_THAT(r.output, Not(HasSubstr("A subcommand is required")));
}

TEST_F(Cli, VersionNamesTheBuild) {
  const auto r = sluice("--version");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::ContainsRegex("^sluice [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("plugin ABI [0-9]+\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("LibTorch [0-9.]+ \\(torchscript plugin\\)"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("OpenCV [0-9]+\\.[0-9]+"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("toml\\+\\+ [0-9]+\\.[0-9]+\\.[0-9]+"));
}

// A pipeline file's bytes that are not text reach the terminal escaped, whatever part of
// the file holds them.
TEST_F(Cli, ErrorsQuoteNoRawBytesOfTheFile) {
  const std::string bad_utf8 = "[pipeline]\nname = \"x\xff\xfe\x1b[2J\"\n";
  // TOML escapes make control characters in a value; the error quotes the value.
  const std::string escapes =
      "[pipeline]\nlinks = [\"a -> b\"]\n[nodes.a]\n"
      "plugin = \"synth\\u001b[2J\\u0007\"\n[nodes.b]\nplugin = \"null_sink\"\n";
  EXPECT_THAT(sluice("validate " + pipeline(escapes)).output,
              HasSubstr("unknown plugin 'synth\\x1b[2J\\x07'"));
  for (const auto& text : {bad_utf8, escapes}) {
    const auto r = sluice("validate " + pipeline(text));
    EXPECT_EQ(r.exit_code, 2) << printable(r.output);
    EXPECT_THAT(r.output, HasSubstr("p.toml:"));
    std::istringstream lines(r.output);
    for (std::string line; std::getline(lines, line);)
      EXPECT_EQ(printable(line), line) << "raw bytes in the line: " << printable(line);
  }
}

TEST_F(Cli, RunPrintsTheTableAndWritesStats) {
  const std::string file = pipeline(kGood);
  const auto r = sluice("run " + file + " --stats-json " + dir_.file("stats.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("count_sink 'count': 50 packets"));
  EXPECT_THAT(r.output, HasSubstr("processed"));
  EXPECT_THAT(r.output, HasSubstr("passthrough"));
  const auto stats = nlohmann::json::parse(read_file(dir_.file("stats.json")));
  EXPECT_EQ(stats["status"], "ok");
  EXPECT_EQ(stats["nodes"][2]["processed"], 50);
  // Relative paths are relative to the pipeline file, not to the working directory.
  EXPECT_TRUE(std::filesystem::exists(dir_.file("counts.json")));
}

TEST_F(Cli, SetOverridesAValue) {
  const auto r = sluice("run -q " + pipeline(kGood) + " --set nodes.src.frames=7");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("count_sink 'count': 7 packets"));
  const auto bad = sluice("run -q " + pipeline(kGood) + " --set nodes.src.framez=7");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("has no param 'framez'; did you mean 'frames'?"));
}

TEST_F(Cli, ValidateChecksWithoutRunning) {
  auto r = sluice("validate " + pipeline(kGood));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok (3 nodes, 2 links)"));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("counts.json")));

  const std::string bad = pipeline(
      "[pipeline]\nlinks = [\"src -> sink\"]\n[nodes.src]\nplugin = \"synthetic_sorce\"\n"
      "[nodes.sink]\nplugin = \"null_sink\"\n",
      "bad.toml");
  r = sluice("validate " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output,
              HasSubstr(bad + ":4:10: node 'src': unknown plugin 'synthetic_sorce'; did you mean "
                              "'synthetic_source'?"));

  r = sluice("validate " + pipeline("[pipeline\n", "syntax.toml"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("syntax.toml:1:"));
  EXPECT_THAT(r.output, HasSubstr("invalid TOML"));

  r = sluice("validate " + dir_.file("missing.toml"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("missing.toml: cannot read the pipeline file: no such file"));
}

TEST_F(Cli, AFailingRunIsExitOneWithAOneLineError) {
  const auto r = sluice("run -q " + pipeline(R"([pipeline]
links = ["src -> boom -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
[nodes.boom]
plugin = "fail"
at_frames = [4]
how = "throw"
[nodes.sink]
plugin = "null_sink"
)"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(
      r.output,
      HasSubstr("sluice: error: node 'boom' (fail) failed on stream 0 frame 4: process threw: "
                "failure injected by the fail node\n"));
}

TEST_F(Cli, PluginsAreGroupedByKindAndInspectPrintsTheContract) {
  auto r = sluice("plugins");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output,
              ::testing::ContainsRegex("source:\n(  [a-z_]+ +[^\n]+\n)*  synthetic_source "));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("sink:\n(  [a-z_]+ +[^\n]+\n)*  count_sink "));
  EXPECT_THAT(r.output, Not(HasSubstr("zip_check")));  // test plugins are not on the default path

  r = sluice("inspect synthetic_source");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("synthetic_source (source)"));
  EXPECT_THAT(r.output, HasSubstr("outputs:\n  out"));
  EXPECT_THAT(r.output, HasSubstr("fps"));
  EXPECT_THAT(r.output, HasSubstr("[0 .. 1000000]"));

  r = sluice("inspect zip_check --plugin-path " + test_plugin_dir());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("c              Any                third (optional)"));

  r = sluice("inspect pasthrough");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown node type 'pasthrough'; did you mean 'passthrough'?"));
}

TEST_F(Cli, PluginSearchPathFromFlagEnvironmentAndFile) {
  const std::string text =
      "[pipeline]\nlinks = [\"src -> zip.a\", \"src -> zip.b\", \"zip -> sink\"]\n"
      "[nodes.src]\nplugin = \"synthetic_source\"\nframes = 5\n"
      "[nodes.zip]\nplugin = \"zip_check\"\n[nodes.sink]\nplugin = \"null_sink\"\n";
  const std::string file = pipeline(text);
  EXPECT_EQ(sluice("validate " + file).exit_code, 2);
  EXPECT_EQ(sluice("validate " + file + " --plugin-path " + test_plugin_dir()).exit_code, 0);
  EXPECT_EQ(
      run_sluice("validate " + file, {.env = "SLUICE_PLUGIN_PATH=" + test_plugin_dir()}).exit_code,
      0);
  const std::string with_path =
      pipeline("[pipeline]\nplugin_path = [\"" + test_plugin_dir() + "\"]\n" + text.substr(11),
               "with_path.toml");
  EXPECT_EQ(sluice("run -q " + with_path).exit_code, 0);
}

TEST_F(Cli, BrokenPluginLibraryIsExitTwoNamingTheFile) {
  dir_.write("sluice_broken.so", "garbage");
  const auto r = sluice("plugins --plugin-path " + dir_.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("sluice_broken.so"));
  EXPECT_THAT(r.output, HasSubstr("failed to load"));
}

TEST_F(Cli, GraphPrintsDot) {
  const auto r = sluice("graph " + pipeline(kGood));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("digraph \"cli\""));
  EXPECT_THAT(r.output,
              HasSubstr("\"src\" -> \"pass\" [label=\"out -> in\\nFrame\\nqueue 8 block\"]"));
  EXPECT_THAT(r.output, HasSubstr("\"pass\" -> \"count\""));
}

TEST_F(Cli, SigintStopsTheSourcesAndDrainsEverythingToTheSink) {
  const std::string file = pipeline(R"([pipeline]
links = ["src -> slow -> count"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
fps = 500
[nodes.slow]
plugin = "delay"
ms = 2
[nodes.count]
plugin = "count_sink"
path = "counts.json"
)");
  const auto r = run_command("bash -c '" + sluice_command("run -q " + file) + " --stats-json " +
                             dir_.file("stats.json") + " & pid=$!; " + wait_for_signal_handlers() +
                             "sleep 0.3; kill -INT $pid; wait $pid; echo rc=$?'");
  EXPECT_THAT(r.output, HasSubstr("rc=0"));
  EXPECT_THAT(r.output, HasSubstr("stopped by signal"));
  const auto stats = nlohmann::json::parse(read_file(dir_.file("stats.json")));
  EXPECT_EQ(stats["status"], "interrupted");
  const int64_t emitted = stats["nodes"][0]["emitted"];
  EXPECT_GT(emitted, 10);
  const auto counts = nlohmann::json::parse(read_file(dir_.file("counts.json")));
  EXPECT_EQ(counts["total"].get<int64_t>(), emitted);
}

TEST_F(Cli, OnATerminalAProgressLineShowsFramesFpsAndEta) {
  const std::string file = pipeline(R"([pipeline]
links = ["src -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 40
fps = 25
[nodes.sink]
plugin = "null_sink"
)");
  // script(1) gives the command a pseudo-terminal, as a user's shell would.
  const auto tty = run_command("script -qec '" + sluice_command("run " + file) + "' /dev/null");
  EXPECT_EQ(tty.exit_code, 0) << tty.output;
  EXPECT_THAT(tty.output, HasSubstr("frames "));
  EXPECT_THAT(tty.output, HasSubstr("/40"));
  EXPECT_THAT(tty.output, HasSubstr("fps"));
  EXPECT_THAT(tty.output, HasSubstr("ETA 0:0"));
  // Not on a pipe: no progress line to garble logs.
  const auto piped = sluice("run " + file);
  EXPECT_THAT(piped.output, Not(HasSubstr("ETA")));
}

TEST_F(Cli, SecondSignalExitsAtOnce) {
  const std::string file = pipeline(R"([pipeline]
links = ["src -> stuck -> sink"]
[nodes.src]
plugin = "synthetic_source"
frames = 0
[nodes.stuck]
plugin = "delay"
ms = 60000
[nodes.sink]
plugin = "null_sink"
)");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_command(
      "bash -c '" + sluice_command("run -q " + file) + " & pid=$!; " + wait_for_signal_handlers() +
      // (a moment for the source's first packet to reach the stuck node: a drain to wait on)
      "sleep 0.5; kill -TERM $pid; sleep 0.3; kill -INT $pid; wait $pid; echo rc=$?'");
  EXPECT_THAT(r.output, HasSubstr("rc=130"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
}

}  // namespace
}  // namespace sluice::test
