#include "plugin_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node_call.h"
#include "test_support.h"

namespace sluice::runtime {
namespace {

using sluice::test::test_plugin_dir;
using ::testing::HasSubstr;

TEST(PluginRegistry, LoadsTheBuiltInPluginsFromTheDefaultFolder) {
  PluginRegistry r;
  ASSERT_TRUE(r.load_dirs({PluginRegistry::default_plugin_dir()}).ok());
  for (const char* t :
       {"synthetic_source", "passthrough", "delay", "fail", "null_sink", "count_sink"})
    EXPECT_NE(*r.lookup(t), nullptr) << t;
  const NodeType* src = *r.lookup("synthetic_source");
  EXPECT_EQ(src->contract.kind, NodeKind::kSource);
  EXPECT_THAT(src->file, HasSubstr("sluice_builtin.so"));
  ASSERT_NE(src->contract.find_param("frames"), nullptr);
  EXPECT_EQ(std::get<int64_t>(src->contract.find_param("frames")->default_value), 100);
}

TEST(PluginRegistry, WrongAbiVersionIsRefusedByName) {
  PluginRegistry r;
  const Status s = r.load_dirs({test_plugin_dir("bad_abi")});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("sluice_bad_abi.so"));
  EXPECT_THAT(s.message(), HasSubstr("built for sluice ABI version 6, this sluice has version " +
                                     std::to_string(kAbiVersion) + ": rebuild it"));
  EXPECT_EQ(kAbiVersion, 7u) << "bump the old version this test names along with kAbiVersion";
}

TEST(PluginRegistry, LibraryWithoutDescriptorIsRefusedByName) {
  PluginRegistry r;
  const Status s = r.load_dirs({test_plugin_dir("no_descriptor")});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("sluice_no_descriptor.so"));
  EXPECT_THAT(s.message(), HasSubstr("SLUICE_EXPORT_NODES"));
}

TEST(PluginRegistry, DuplicateNodeTypeNamesBothFiles) {
  PluginRegistry r;
  const Status s =
      r.load_dirs({PluginRegistry::default_plugin_dir(), test_plugin_dir("duplicate")});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("'passthrough'"));
  EXPECT_THAT(s.message(), HasSubstr("sluice_builtin.so"));
  EXPECT_THAT(s.message(), HasSubstr("sluice_duplicate_type.so"));
}

TEST(PluginRegistry, UnloadableLibrariesAreErrorsNamingTheFile) {
  PluginRegistry r;
  Status s = r.load_dirs({test_plugin_dir("unresolved")});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("sluice_unresolved.so"));
  EXPECT_THAT(s.message(), HasSubstr("failed to load"));

  sluice::test::TempDir dir;
  dir.write("sluice_garbage.so", "this is not an ELF file");
  PluginRegistry r2;
  s = r2.load_dirs({dir.path().string()});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("sluice_garbage.so"));
}

TEST(PluginRegistry, MixingMatchedAndUnmatchedInputsIsRefused) {
  PluginRegistry r;
  const Status s = r.load_dirs({test_plugin_dir("mixed_inputs")});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("sluice_mixed_inputs.so"));
  EXPECT_THAT(s.message(), HasSubstr("'mixed' mixes matched and unmatched inputs"));
}

TEST(PluginRegistry, AParamNamedLikeAKeyOfEveryNodeIsRefused) {
  PluginRegistry r;
  const Status s = r.load_dirs({test_plugin_dir("reserved_param")});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("sluice_reserved_param.so"));
  EXPECT_THAT(s.message(), HasSubstr("'reserved' declares a param named 'queue'"));
}

TEST(PluginRegistry, AManifestDefersLoadingUntilATypeIsUsed) {
  // The build writes sluice_builtin.so.nodes: scanning the folder loads nothing.
  PluginRegistry r;
  ASSERT_TRUE(r.load_dirs({PluginRegistry::default_plugin_dir()}).ok());
  EXPECT_TRUE(r.loaded_files().empty()) << "a plugin was loaded before any of its types was used";
  EXPECT_THAT(r.type_names(), ::testing::Contains("synthetic_source"));
  auto t = r.lookup("null_sink");
  ASSERT_TRUE(t.ok());
  ASSERT_NE(*t, nullptr);
  EXPECT_THAT(r.loaded_files(), ::testing::Contains(HasSubstr("sluice_builtin.so")));
  EXPECT_EQ(*r.lookup("no_such_type"), nullptr);
}

TEST(PluginRegistry, StaleOrForeignManifestsAreIgnoredOrReported) {
  sluice::test::TempDir dir;
  const std::string lib = dir.file("sluice_copy.so");
  std::filesystem::copy_file(test_plugin_dir() + "/sluice_test_nodes.so", lib);
  // A manifest for another file size: ignored, the library is loaded at once.
  dir.write("sluice_copy.so.nodes", "abi 1\nlibrary_size 1\ntype zip_check\n");
  PluginRegistry r;
  ASSERT_TRUE(r.load_dirs({dir.path().string()}).ok());
  EXPECT_EQ(r.loaded_files().size(), 1u);

  // A manifest that names a type the library does not declare: a clear error on use.
  ASSERT_TRUE(PluginRegistry::write_manifest(lib).ok());
  std::string manifest = sluice::test::read_file(lib + ".nodes");
  manifest += "type ghost_node\n";
  dir.write("sluice_copy.so.nodes", manifest);
  PluginRegistry r2;
  ASSERT_TRUE(r2.load_dirs({dir.path().string()}).ok());
  EXPECT_TRUE(r2.loaded_files().empty());
  auto ghost = r2.lookup("ghost_node");
  ASSERT_FALSE(ghost.ok());
  EXPECT_THAT(ghost.status().message(), HasSubstr("the manifest is stale"));
}

TEST(PluginRegistry, MissingFolderIsAnError) {
  PluginRegistry r;
  const Status s = r.load_dirs({"/nonexistent/plugins"});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/plugins"));
}

TEST(PluginRegistry, OnlySluicePrefixedLibrariesAreLoaded) {
  sluice::test::TempDir dir;
  dir.write("libhelper.so", "not a plugin and not loaded");
  PluginRegistry r;
  EXPECT_TRUE(r.load_dirs({dir.path().string()}).ok());
  EXPECT_TRUE(r.types().empty());
}

TEST(PluginRegistry, NodesKeepTheirLibraryLoadedAfterTheRegistryIsGone) {
  NodePtr node{nullptr, [](Node*) {}};
  {
    PluginRegistry r;
    ASSERT_TRUE(r.load_dirs({PluginRegistry::default_plugin_dir()}).ok());
    auto created = create_node(**r.lookup("passthrough"));
    ASSERT_TRUE(created.ok());
    node = std::move(*created);
  }
  // The registry (and its reference to the library) is gone; the node's code must still be there.
  Contract c = make_contract(NodeInfo{"x", NodeKind::kOther, ""}, Input<Any>{"in", ""},
                             Output<Any>{"out", ""});
  detail::ContextState state = make_context_state(c, nullptr, nullptr, "x");
  state.sets[0][0] = Packet::make(PacketHeader{}, Frame{});
  Context ctx(state);
  EXPECT_TRUE(node->process(ctx).ok());
  EXPECT_EQ(state.outputs.size(), 1u);
  node.reset();
}

TEST(PluginRegistry, ConstructorThatThrowsIsAnError) {
  PluginRegistry r;
  ASSERT_TRUE(r.load_dirs({test_plugin_dir("good")}).ok());
  auto created = create_node(**r.lookup("ctor_throws"));
  ASSERT_FALSE(created.ok());
  EXPECT_THAT(created.status().message(), HasSubstr("constructor refused"));
}

}  // namespace
}  // namespace sluice::runtime
