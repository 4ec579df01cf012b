# AddressSanitizer + UndefinedBehaviorSanitizer: any finding aborts the process, so a test that
# trips one fails instead of printing a report nobody reads.
if(OUTBOX_RELAY_SANITIZE)
  set(sanitizer_flags -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${sanitizer_flags})
  add_link_options(${sanitizer_flags})
endif()
