// RunnerTest: whole pipelines run in-process from TOML text, with the builtin plugins and
// the test plugins (tests/test_plugins, folder "good"), a time limit, and a temporary
// folder for their outputs. Shared by the runner's suites.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "runner.h"
#include "test_support.h"

namespace sluice::runtime {

constexpr auto kTimeout = std::chrono::seconds(60);

class RunnerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    registry_ = new PluginRegistry();
    const auto loaded =
        registry_->load_dirs({PluginRegistry::default_plugin_dir(), test::test_plugin_dir("good")});
    if (!loaded.ok()) suite_error_ = "loading the plugins failed: " + loaded.message();
  }
  void SetUp() override { ASSERT_EQ(suite_error_, "") << "the suite's set-up failed"; }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }

  Pipeline build(const std::string& text) {
    Diagnostics d;
    auto spec = load_pipeline_text(text, "test.toml", dir_.path().string(), {}, d);
    EXPECT_TRUE(spec.ok()) << (d.empty() ? "" : d[0].to_string());
    auto p = validate(*spec, *registry_, d);
    EXPECT_TRUE(p.ok()) << (d.empty() ? "" : d[0].to_string());
    return std::move(*p);
  }

  // Runs with a time limit; `during` runs on another thread while the pipeline runs.
  RunReport run(const std::string& text, std::function<void(Runner&)> during = nullptr) {
    Pipeline p = build(text);
    Runner runner(p);
    auto result = std::async(std::launch::async, [&] { return runner.run(); });
    if (during) during(runner);
    if (result.wait_for(kTimeout) != std::future_status::ready) {
      ADD_FAILURE() << "pipeline did not finish: probable deadlock";
      std::abort();  // a hung run cannot be cleaned up
    }
    return result.get();
  }

  nlohmann::json counts(const std::string& name = "counts.json") {
    return nlohmann::json::parse(test::read_file(dir_.file(name)));
  }

  static const NodeReport& node(const RunReport& r, const std::string& name) {
    for (const auto& n : r.nodes)
      if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
  }

  test::TempDir dir_;
  static inline PluginRegistry* registry_ = nullptr;
  static inline std::string suite_error_;
};

}  // namespace sluice::runtime
