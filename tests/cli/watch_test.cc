#include "cli/watch.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/display_width.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/convert.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1'700'000'000'000'000;  // Unix microseconds

// A running study of 500 trials with long param names and values (the best-params line is
// ~300 columns, with UTF-8), and `running` RUNNING trials.
WatchSnapshot Snapshot(int running) {
  WatchSnapshot s;
  s.study.mutable_spec()->set_name("résumé-search");
  s.study.mutable_spec()->add_directions(v1::STUDY_DIRECTION_MINIMIZE);
  s.study.set_state(v1::STUDY_STATE_RUNNING);
  v1::TrialCounts& c = *s.study.mutable_trial_counts();
  c.set_complete(120);
  c.set_running(running);
  c.set_fail(2);
  s.target = 500;
  s.started_micros = kNow - 3'723'000'000;  // 1:02:03 ago
  s.now_micros = kNow;
  s.watched_s = 10;
  s.finished_at_start = 100;
  v1::Trial best;
  best.set_number(77);
  best.set_state(v1::TRIAL_STATE_COMPLETE);
  best.add_values(0.125);
  for (int i = 0; i < 12; ++i) {
    (*best.mutable_params())[absl::StrCat("layer_", i, "_bitwidth↑")].set_string_value(
        "int8…per_channel");
  }
  s.best.push_back(best);
  for (int i = 0; i < running; ++i) {
    v1::Trial& t = s.running.emplace_back();
    t.set_number(200 + i);
    t.set_state(v1::TRIAL_STATE_RUNNING);
    t.mutable_lease()->set_worker_id(absl::StrCat("gpu-node-", i, ".cluster.example.org:7"));
    (*t.mutable_intermediate_values())[3] = 0.5;
    (*t.mutable_intermediate_values())[40] = 0.25;
    *t.mutable_start_time() = MicrosToTimestamp(kNow - 65'000'000);
  }
  return s;
}

TEST(RenderWatch, NoLineExceedsTheWidth) {
  for (int columns : {40, 80, 200}) {
    SCOPED_TRACE(columns);
    const std::vector<std::string> lines =
        RenderWatch(Snapshot(3), {.columns = columns, .rows = 24});
    ASSERT_GE(lines.size(), 4u);
    for (const std::string& line : lines) EXPECT_LE(DisplayWidth(line), columns) << line;
    EXPECT_THAT(lines[3], HasSubstr("…"));  // the best-params line was cut, not wrapped
  }
  // Without a width (plain output) nothing is cut.
  EXPECT_THAT(absl::StrJoin(RenderWatch(Snapshot(0), {}), "\n"),
              HasSubstr("layer_9_bitwidth↑=int8…per_channel"));
}

TEST(RenderWatch, TheBarShrinksOnANarrowTerminal) {
  EXPECT_THAT(RenderWatch(Snapshot(0), {.columns = 200, .rows = 24})[1],
              HasSubstr("[#######.......................] 120/500  24%  done 120"));
  EXPECT_THAT(RenderWatch(Snapshot(0), {.columns = 80, .rows = 24})[1],
              HasSubstr("[######..................] 120/500  24%  done 120"));
  EXPECT_THAT(RenderWatch(Snapshot(0), {.columns = 40, .rows = 24})[1],
              ::testing::StartsWith("120/500  24%  done 120"));
}

TEST(RenderWatch, ElapsedCountsFromTheStudysStart) {
  EXPECT_THAT(RenderWatch(Snapshot(0), {})[0], HasSubstr("elapsed 1:02:03"));
  WatchSnapshot unknown = Snapshot(0);
  unknown.started_micros.reset();
  EXPECT_THAT(RenderWatch(unknown, {})[0], Not(HasSubstr("elapsed")));
}

TEST(StudyStartMicros, IsTheCreationTimeElseTheFirstTrialsStart) {
  v1::Study study;
  v1::Trial first;
  EXPECT_EQ(StudyStartMicros(study, std::nullopt), std::nullopt);
  EXPECT_EQ(StudyStartMicros(study, first), std::nullopt);  // not started
  *first.mutable_start_time() = MicrosToTimestamp(kNow - 5);
  EXPECT_EQ(StudyStartMicros(study, first), kNow - 5);
  *study.mutable_create_time() = MicrosToTimestamp(kNow - 9);
  EXPECT_EQ(StudyStartMicros(study, first), kNow - 9);
}

TEST(RenderWatch, ShowsTheRunningTrialsThatFitThenHowManyMore) {
  const std::vector<std::string> all = RenderWatch(Snapshot(3), {.columns = 200, .rows = 24});
  ASSERT_EQ(all.size(), 7u);  // header, progress, rate, best, the 3 running trials
  EXPECT_EQ(all[4], "trial 200  worker gpu-node-0.cluster.example.org:7  step 40  running 0:01:05");
  EXPECT_EQ(all[6], "trial 202  worker gpu-node-2.cluster.example.org:7  step 40  running 0:01:05");

  // 10 rows: 9 lines, 4 fixed ones, 5 for 8 running trials: 4 of them and "+4 more running".
  const std::vector<std::string> some = RenderWatch(Snapshot(8), {.columns = 80, .rows = 10});
  ASSERT_EQ(some.size(), 9u) << absl::StrJoin(some, "\n");
  EXPECT_THAT(some[7], ::testing::StartsWith("trial 203  worker"));
  EXPECT_EQ(some[8], "+4 more running");

  // Fewer trials fetched than run (the page was cut): the rest are counted.
  WatchSnapshot partial = Snapshot(2);
  partial.study.mutable_trial_counts()->set_running(5);
  const std::vector<std::string> counted = RenderWatch(partial, {.columns = 80, .rows = 24});
  EXPECT_EQ(counted.back(), "+3 more running");

  // A tiny terminal: the frame is cut to its rows less one.
  EXPECT_EQ(RenderWatch(Snapshot(8), {.columns = 80, .rows = 3}).size(), 2u);
  // Plain output (no rows): no running trial lines.
  EXPECT_EQ(RenderWatch(Snapshot(8), {}).size(), 4u);
}

}  // namespace
}  // namespace nasq
