#include "relay/allocator.h"

#include <cstddef>

// jemalloc's control interface, declared weak: null unless a jemalloc is loaded, so the relay
// needs no jemalloc header or library to ask.
extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_size, void* new_value,
                       std::size_t new_size) __attribute__((weak));

namespace outbox {

std::string allocator_name() {
  if (mallctl == nullptr) return "libc";
  const char* version = nullptr;
  std::size_t size = sizeof version;
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  return std::string("jemalloc ") + version;
}

}  // namespace outbox
