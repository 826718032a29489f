# Project-wide warning policy: warnings are errors. src/core adds -Wconversion
# (see meridian_core_warnings) because silent narrowing in fixed-point time
# math is exactly the class of bug we cannot afford there.
function(meridian_warnings target)
  # -Wno-missing-field-initializers: designated initializers that name only
  # the fields that differ from the defaults ({.offset_s = 0.3}) are our idiom
  # for option structs; every such struct has default member initializers.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                           -Wno-missing-field-initializers)
  # g++ 12 at -O2 reports -Wmaybe-uninitialized false positives inside
  # std::variant/std::optional moves (GCC bugs 105562, 106199 and kin); the
  # sanitizer builds and clang's fuzz build still catch real uninitialised reads.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

function(meridian_core_warnings target)
  meridian_warnings(${target})
  target_compile_options(${target} PRIVATE -Wconversion -Wsign-conversion)
endfunction()
