# Prints the size of the built engine, raw and gzipped (what a browser downloads): cmake -DWASM=path -P this-file.
file(SIZE ${WASM} raw)
set(gz ${WASM}.gz)
file(ARCHIVE_CREATE OUTPUT ${gz} PATHS ${WASM} FORMAT raw COMPRESSION GZip COMPRESSION_LEVEL 9)
file(SIZE ${gz} zipped)
file(REMOVE ${gz})
math(EXPR raw_kib "${raw} / 1024")
math(EXPR zipped_kib "${zipped} / 1024")
message(STATUS "ckp.wasm: ${raw} bytes (${raw_kib} KiB), gzipped ${zipped} bytes (${zipped_kib} KiB)")
