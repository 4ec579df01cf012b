# Warnings for our own targets only: third-party headers come in as SYSTEM includes.
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
                    -Wimplicit-fallthrough -Wformat=2)
if(OUTBOX_RELAY_WERROR)
  add_compile_options(-Werror)
endif()
