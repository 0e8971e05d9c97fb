#include "cli/command_suggestion.h"

#include "gtest/gtest.h"

namespace nasq {
namespace {

TEST(EditDistance, CountsSwapsOfAdjacentLettersAsOneEdit) {
  EXPECT_EQ(EditDistance("trials", "trials"), 0u);
  EXPECT_EQ(EditDistance("trails", "trials"), 1u);   // swap
  EXPECT_EQ(EditDistance("stduy", "study"), 1u);     // swap
  EXPECT_EQ(EditDistance("trial", "trials"), 1u);    // insertion
  EXPECT_EQ(EditDistance("trialss", "trials"), 1u);  // deletion
  EXPECT_EQ(EditDistance("bets", "best"), 1u);
  EXPECT_EQ(EditDistance("wacht", "watch"), 2u);  // not 1: "ac" -> "at" is no swap
  EXPECT_EQ(EditDistance("", "ask"), 3u);
  EXPECT_EQ(EditDistance("ca", "abc"), 3u);  // optimal string alignment edits no substring twice
}

TEST(ClosestName, PicksTheNearestWithinTheLimit) {
  const std::vector<std::string> names = {"study", "trials", "best", "pareto",
                                          "watch", "ask",    "tell"};
  EXPECT_EQ(ClosestName("trails", names), "trials");
  EXPECT_EQ(ClosestName("wacht", names), "watch");
  EXPECT_EQ(ClosestName("tel", names), "tell");
  EXPECT_EQ(ClosestName("frobnicate", names), std::nullopt);
  EXPECT_EQ(ClosestName("xyz", {"abc"}), std::nullopt);  // 3 edits
}

TEST(UnknownCommandMessage, SuggestsOrListsTheCommands) {
  EXPECT_EQ(UnknownCommandMessage("", "trails", {"study", "trials"}),
            "unknown command 'trails'; did you mean 'trials'?");
  EXPECT_EQ(UnknownCommandMessage("study", "lsit", {"create", "list"}),
            "unknown command 'study lsit'; did you mean 'study list'?");
  EXPECT_EQ(UnknownCommandMessage("", "zzzzzz", {"study", "trials"}),
            "unknown command 'zzzzzz'; commands: study, trials");
}

}  // namespace
}  // namespace nasq
