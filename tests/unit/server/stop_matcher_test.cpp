// Stop strings across token boundaries, hold-back of possible prefixes, and release at the end.
#include <gtest/gtest.h>

#include "server/stop_matcher.h"

namespace plexus::server {
namespace {

TEST(StopMatcher, NoStopsReleasesEverything) {
  StopMatcher m({});
  EXPECT_EQ(m.push("abc"), "abc");
  EXPECT_EQ(m.flush(), "");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, CutsBeforeAStopInsideOneToken) {
  StopMatcher m({"END"});
  EXPECT_EQ(m.push("hello END world"), "hello ");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.push("more"), "");
  EXPECT_EQ(m.flush(), "");
  EXPECT_EQ(m.released(), 6u);
}

TEST(StopMatcher, HoldsBackAPrefixUntilItIsDecided) {
  StopMatcher m({"\nUser:"});
  EXPECT_EQ(m.push("Hi"), "Hi");
  EXPECT_EQ(m.push("\nUs"), "");  // could be the start of the stop string
  EXPECT_EQ(m.push("er:"), "");   // it was
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.released(), 2u);
}

TEST(StopMatcher, ReleasesAHeldPrefixThatTurnsOutNotToMatch) {
  StopMatcher m({"\nUser:"});
  EXPECT_EQ(m.push("a\nU"), "a");
  EXPECT_EQ(m.push("nder"), "\nUnder");
  EXPECT_FALSE(m.stopped());
}

TEST(StopMatcher, FlushReleasesTheHeldTail) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.push("abc ST"), "abc ");
  EXPECT_EQ(m.flush(), "ST");
  EXPECT_EQ(m.released(), 6u);
  EXPECT_EQ(m.pushed(), 6u);
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher m({"zz", "b"});
  EXPECT_EQ(m.push("a b zz"), "a ");
}

TEST(StopMatcher, StopSpanningManySingleCharTokens) {
  StopMatcher m({"<|end|>"});
  std::string out;
  for (char c : std::string("text<|end|>tail")) out += m.push(std::string(1, c));
  EXPECT_EQ(out, "text");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, OverlappingPrefixKeepsTheLongestCandidate) {
  StopMatcher m({"aab"});
  EXPECT_EQ(m.push("xaa"), "x");
  EXPECT_EQ(m.push("a"), "a");  // "aaa": the last "aa" may still start "aab"
  EXPECT_EQ(m.push("b"), "");
  EXPECT_TRUE(m.stopped());
}

TEST(StopMatcher, MultibyteTextIsNeverSplit) {
  StopMatcher m({"é!"});
  // "é" alone might start the stop string; held back whole, then released whole.
  EXPECT_EQ(m.push("caf\xC3\xA9"), "caf");
  EXPECT_EQ(m.push("?"), "\xC3\xA9?");
}

}  // namespace
}  // namespace plexus::server
