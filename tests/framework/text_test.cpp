// printable(): what error messages quote of a file's or a request's bytes.
#include "sluice/text.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

TEST(Printable, LeavesTextAlone) {
  EXPECT_EQ(printable("model 'a.pt': key fc.weight"), "model 'a.pt': key fc.weight");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(printable("a\\b"), "a\\b");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, EscapesControlCharacters) {
  EXPECT_EQ(printable("a\nb\tc\x1b[2J\x7f"), "a\\x0ab\\x09c\\x1b[2J\\x7f");
  EXPECT_EQ(printable(std::string_view("nul\0x", 5)), "nul\\x00x");
}

TEST(Printable, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc3\x28"), "\\xc3(");               // a lead byte without its continuation
  EXPECT_EQ(printable("\xc3"), "\\xc3");                    // cut short at the end
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(printable("\x80x"), "\\x80x");                           // a stray continuation byte
}

TEST(Printable, IsIdempotent) {
  const std::string once = printable("k\xff\x01\xc3\xa9\\x41");
  EXPECT_EQ(printable(once), once);
}

TEST(OneLine, KeepsTheLastLineThatSaysSomething) {
  EXPECT_EQ(one_line("The following operation failed in the TorchScript interpreter.\n"
                     "Traceback of TorchScript:\n  x = y\nRuntimeError: shape mismatch\n\n"),
            "RuntimeError: shape mismatch");
  EXPECT_EQ(one_line("just one"), "just one");
  EXPECT_EQ(one_line("ends with a newline\r\n"), "ends with a newline");
  EXPECT_EQ(one_line(""), "");
  EXPECT_EQ(one_line("bad \xff byte\n"), "bad \\xff byte");
}

TEST(ShapeText, WritesTheDimensions) {
  EXPECT_EQ(shape_text(std::vector<int64_t>{1, 3, 224, 224}), "[1, 3, 224, 224]");
  EXPECT_EQ(shape_text(std::vector<int64_t>{}), "[]");
  EXPECT_EQ(shape_text(std::vector<int64_t>{-1, 8}), "[-1, 8]");
}

}  // namespace
}  // namespace sluice
