# Embeds a text file into a C++ include file as one raw string literal (a data file the code
# reads once, e.g. src/people/data/common_passwords.txt). Lines starting with '#' are dropped.
# Usage: cmake -DIN=<file.txt> -DOUT=<file.inc> -P embed_text.cmake
file(STRINGS "${IN}" lines ENCODING UTF-8)
set(body "// Generated from ${IN} by cmake/embed_text.cmake. Do not edit.\nR\"LPTXT(")
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^#")
    string(APPEND body "${line}\n")
  endif()
endforeach()
string(APPEND body ")LPTXT\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${body}")
  file(WRITE "${OUT}" "${body}")
endif()
