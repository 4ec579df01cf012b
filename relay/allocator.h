// Which malloc the process runs with, for the relay's first log line: the Release build links
// jemalloc (docs/memory.md), sanitized builds and other builders may not.
#pragma once

#include <string>

namespace outbox {

// "jemalloc 5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c" when jemalloc serves malloc,
// whether linked or preloaded; "libc" otherwise (glibc's malloc, or a sanitizer's).
std::string allocator_name();

}  // namespace outbox
