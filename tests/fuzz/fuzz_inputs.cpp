// libFuzzer target: the input readers (lines, JSON arrays), item parsing for keys, URLs, tags, hosts, prefixes,
// purge objects and import records, and resuming at offsets. Errors must name a line; nothing may crash.
#include <cstdint>
#include <memory>
#include <string>

#include "ckp/io/records.hpp"
#include "ckp/ops/kv_import.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/ops/text_input.hpp"

namespace {
void drain(ckp::io::RecordSource& src, unsigned mode) {
  using namespace ckp;
  std::uint64_t resume_offset = 0, resume_line = 1;
  int n = 0;
  while (auto r = src.next()) {
    if (++n == 3) resume_offset = r->next_offset, resume_line = r->next_line;
    switch (mode % 6) {
      case 0:
        (void)ops::text_item(*r, src.format(), "f", ops::TextRules::exact(),
                             [](std::string_view k) { return api::validate_key(k); });
        break;
      case 1: (void)ops::parse_import_record(*r, "f"); break;
      case 2: (void)ops::parse_purge_record(*r, src.format(), "f", api::purge::Kind::files); break;
      case 3: (void)ops::parse_purge_record(*r, src.format(), "f", api::purge::Kind::tags); break;
      case 4: (void)ops::parse_purge_record(*r, src.format(), "f", api::purge::Kind::hosts); break;
      default: (void)ops::parse_purge_record(*r, src.format(), "f", api::purge::Kind::prefixes); break;
    }
    if (n > 10'000) break;
  }
  if (src.error() && src.error()->message.rfind("f:", 0) != 0) __builtin_trap();  // errors must name the input
  if (resume_offset && src.seek(resume_offset, resume_line))
    while (src.next() && ++n < 20'000) {
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckp::io;
  if (size < 1) return 0;
  const unsigned mode = data[0];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  {
    LineRecords lines(std::make_unique<StringReader>(text, "f"), 4096);
    drain(lines, mode);
  }
  {
    JsonArrayRecords array(std::make_unique<StringReader>(text, "f"), 4096);
    drain(array, mode);
  }
  auto detected = open_records(std::make_unique<StringReader>(text, "f"));
  (void)ckp::ops::preflight_import(*detected);
  return 0;
}
