# Extract an example plugin of man/man3/varpd_plugin.3 (the literal display
# between the ".\" MARK-begin" and ".\" MARK-end" comments; MARK is
# "example", the C one, unless given: "example-cxx" is the C++ one) into a
# source file, so the tests compile and load exactly what the page shows.
# Usage: cmake -DIN=page -DOUT=file.c [-DMARK=example-cxx] -P extract_example.cmake
if(NOT MARK)
  set(MARK example)
endif()
file(READ ${IN} page)
string(FIND "${page}" ".\\\" ${MARK}-begin\n.Bd -literal\n" begin)
string(FIND "${page}" ".Ed\n.\\\" ${MARK}-end" end)
if(begin EQUAL -1 OR end EQUAL -1)
  message(FATAL_ERROR "${IN}: no example between the ${MARK}-begin/-end markers")
endif()
string(LENGTH ".\\\" ${MARK}-begin\n.Bd -literal\n" skip)
math(EXPR from "${begin} + ${skip}")
math(EXPR len "${end} - ${from}")
string(SUBSTRING "${page}" ${from} ${len} code)
# mdoc escapes: \e is a backslash, \& a zero-width guard.
string(REPLACE "\\e" "\\" code "${code}")
string(REPLACE "\\&" "" code "${code}")
file(WRITE ${OUT}.tmp "/* Extracted from ${IN}; do not edit. */\n${code}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
