// cli/kv_read.hpp: a value as one table cell (text escaped to one line, binary as its size and base64).

#include <doctest/doctest.h>

#include <string>

#include "ckp/api/base64.hpp"
#include "cli/kv_read.hpp"

using namespace ckp::cli;
using namespace std::string_literals;

TEST_CASE("table_value(): text as itself, on one line") {
  CHECK(table_value("") == "");
  CHECK(table_value("hello") == "hello");
  CHECK(table_value("héllo ✓") == "héllo ✓");
  CHECK(table_value("a\nb\r\nc\td") == "a\\nb\\r\\nc\\td");
  CHECK(table_value("C:\\path") == "C:\\path");  // a backslash stays as it is
}

TEST_CASE("table_value(): long text is cut at a character, never inside one") {
  CHECK(table_value(std::string(200, 'x')) == std::string(200, 'x'));
  CHECK(table_value(std::string(201, 'x')) == "(201 bytes) " + std::string(200, 'x') + "...");
  CHECK(table_value("ééé", 2) == "(6 bytes) éé...");
  CHECK(table_value("a\nb", 2) == "(3 bytes) a\\n...");
}

TEST_CASE("table_value(): binary (not UTF-8, or a control character) as its size and base64") {
  CHECK(table_value("\xff\xfe\x00\x01"s) == "<4 bytes, base64: //4AAQ==>");
  CHECK(table_value("nul\0inside"s) == "<10 bytes, base64: bnVsAGluc2lkZQ==>");
  CHECK(table_value("bell\a") == "<5 bytes, base64: YmVsbAc=>");
  CHECK(table_value("del\x7f") == "<4 bytes, base64: ZGVsfw==>");
  CHECK(table_value("c1\xc2\x85") == "<4 bytes, base64: YzHChQ==>");  // U+0085, a C1 control
  CHECK(table_value("\xc2\xa0") == "\xc2\xa0");                       // U+00A0 is text
  CHECK(table_value(std::string(300, '\0'), 8) == "<300 bytes, base64: AAAAAAAA...>");
  const std::string png = "\x89PNG\r\n\x1a\n"s + std::string(1000, '\x01');
  CHECK(table_value(png) == "<1008 bytes, base64: " + ckp::api::base64_encode(png.substr(0, 45)) + "...>");
  CHECK(table_value(png).find("<1008 bytes, base64: iVBORw0KGgo") == 0);
  CHECK(table_value(std::string(45, '\0')) == "<45 bytes, base64: " + std::string(60, 'A') + ">");
}
