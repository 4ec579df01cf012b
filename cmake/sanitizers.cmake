# AddressSanitizer + UndefinedBehaviorSanitizer: any finding aborts the process, so a test that
# trips one fails instead of printing a report nobody reads.
if(OUTBOX_RELAY_SANITIZE)
  set(sanitizer_flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${sanitizer_flags})
  add_link_options(${sanitizer_flags})
endif()

# libFuzzer: coverage instrumentation everywhere, the fuzzer's main only in the fuzz targets.
if(OUTBOX_RELAY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "OUTBOX_RELAY_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(fuzz_flags -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                 -fno-omit-frame-pointer)
  add_compile_options(${fuzz_flags})
  add_link_options(-fsanitize=address,undefined)
endif()
