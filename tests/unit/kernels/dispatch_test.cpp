// Variant selection: names, the PLEXUS_CPU override and its fallbacks, and that the active table
// is the one the environment asks for (this binary also runs as a second ctest entry with
// PLEXUS_CPU=avx2).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "kernels/op_table.h"
#include "kernels/ops.h"

namespace plexus::kernels {
namespace {

TEST(Dispatch, ReferenceIsAlwaysAvailableAndFirst) {
  const auto tables = available_op_tables();
  ASSERT_FALSE(tables.empty());
  EXPECT_EQ(tables.front(), &reference_op_table());
  EXPECT_EQ(find_op_table("ref"), &reference_op_table());
  EXPECT_EQ(find_op_table("no-such-isa"), nullptr);
  for (const op_table* t : tables) EXPECT_EQ(find_op_table(t->name), t);
}

TEST(Dispatch, EmptyRequestPicksTheBestVariant) {
  std::string warning = "stale";
  EXPECT_EQ(&choose_op_table(nullptr, &warning), available_op_tables().back());
  EXPECT_TRUE(warning.empty());
  EXPECT_EQ(&choose_op_table("", &warning), available_op_tables().back());
  EXPECT_TRUE(warning.empty());
}

TEST(Dispatch, EveryAvailableVariantCanBeForced) {
  for (const op_table* t : available_op_tables()) {
    std::string warning;
    EXPECT_EQ(&choose_op_table(t->name, &warning), t);
    EXPECT_TRUE(warning.empty()) << warning;
  }
}

TEST(Dispatch, UnavailableOrUnknownRequestsFallBackWithAWarning) {
  const op_table* best = available_op_tables().back();
  for (const char* name : {"avx2", "avx512"}) {
    if (find_op_table(name) != nullptr) continue;  // this CPU has it
    std::string warning;
    EXPECT_EQ(&choose_op_table(name, &warning), best);
    EXPECT_NE(warning.find("lacks"), std::string::npos) << warning;
  }
  std::string warning;
  EXPECT_EQ(&choose_op_table("sse9", &warning), best);
  EXPECT_NE(warning.find("sse9"), std::string::npos);
  EXPECT_NE(warning.find("not one of ref, avx2, avx512"), std::string::npos) << warning;
  EXPECT_EQ(&choose_op_table("AVX2", &warning), best);  // names are lower case
  EXPECT_FALSE(warning.empty());
}

TEST(Dispatch, ActiveTableFollowsTheEnvironment) {
  const char* request = std::getenv("PLEXUS_CPU");
  std::string warning;
  const op_table& expected = choose_op_table(request, &warning);
  EXPECT_EQ(&active_op_table(), &expected);
  EXPECT_STREQ(active_isa(), expected.name);
  if (request != nullptr && find_op_table(request) != nullptr) {
    EXPECT_STREQ(active_isa(), request);
  }
}

}  // namespace
}  // namespace plexus::kernels
