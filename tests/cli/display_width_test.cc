#include "cli/display_width.h"

#include "gtest/gtest.h"

namespace nasq {
namespace {

TEST(DisplayWidth, CountsColumnsNotBytes) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("…"), 1u);                 // 3 bytes
  EXPECT_EQ(DisplayWidth("↑ best"), 6u);            // 3 + 5 bytes
  EXPECT_EQ(DisplayWidth("日本"), 4u);              // wide
  EXPECT_EQ(DisplayWidth("e\xcc\x81"), 1u);         // e + combining acute
  EXPECT_EQ(DisplayWidth("\xf0\x9f\x9a\x80"), 2u);  // rocket emoji
  EXPECT_EQ(DisplayWidth("a\xff"
                         "b"),
            3u);                            // an invalid byte is one column
  EXPECT_EQ(DisplayWidth("\xe2\x80"), 2u);  // a cut sequence: each byte one column
}

TEST(DisplayWidth, TruncatesToTheWidthWithAnEllipsis) {
  EXPECT_EQ(TruncateToWidth("hello", 5), "hello");
  EXPECT_EQ(TruncateToWidth("hello", 4), "hel…");
  EXPECT_EQ(TruncateToWidth("héllo wörld", 5), "héll…");
  EXPECT_EQ(TruncateToWidth("↑↑↑↑↑↑", 3), "↑↑…");
  EXPECT_EQ(TruncateToWidth("日本語", 4), "日…");  // a wide character never straddles the cut
  EXPECT_EQ(TruncateToWidth("日本語", 3), "日…");
  EXPECT_EQ(TruncateToWidth("abc", 1), "…");
  EXPECT_EQ(TruncateToWidth("abc", 0), "");
  for (size_t width = 0; width < 30; ++width) {
    EXPECT_LE(DisplayWidth(TruncateToWidth("x=1 …  y=↑2 日本 \xff z=3 e\xcc\x81 end", width)),
              width);
  }
}

}  // namespace
}  // namespace nasq
