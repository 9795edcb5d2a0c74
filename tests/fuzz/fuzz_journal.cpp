// libFuzzer target: the journal reader and every operation's spec parser, on arbitrary journal files. A journal
// may be torn or corrupt; load() must say so, never crash.
#include <cstdint>
#include <sstream>
#include <string>

#include "ckp/engine/journal.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/kv_import.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/ops/sync_purge.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckp;
  engine::MemoryJournalStore store;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) store.append(line);
  auto st = engine::Journal::load(store);
  if (!st) {
    if (st.error().kind != ErrorKind::journal) __builtin_trap();
    return 0;
  }
  (void)ops::KvDeleteSpec::from_json(st->spec);
  (void)ops::KvImportSpec::from_json(st->spec);
  (void)ops::KvExportSpec::from_json(st->spec);
  (void)ops::PurgeSpec::from_json(st->spec);
  (void)ops::SyncPurgeSpec::from_json(st->spec);
  return 0;
}
