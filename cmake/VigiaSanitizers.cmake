# VIGIA_SANITIZE applies to every target, third-party-free as we are, so that ASan sees the whole
# program (mixing instrumented and plain code hides container overflows).
if(VIGIA_SANITIZE)
  add_compile_options(-fsanitize=${VIGIA_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${VIGIA_SANITIZE})
endif()
