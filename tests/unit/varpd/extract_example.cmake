# Extract the example plugin of man/man3/varpd_plugin.3 (the literal display
# between the ".\" example-begin" and ".\" example-end" comments) into a C
# file, so the test compiles and loads exactly what the page shows.
# Usage: cmake -DIN=page -DOUT=file.c -P extract_example.cmake
file(READ ${IN} page)
string(FIND "${page}" ".\\\" example-begin\n.Bd -literal\n" begin)
string(FIND "${page}" ".Ed\n.\\\" example-end" end)
if(begin EQUAL -1 OR end EQUAL -1)
  message(FATAL_ERROR "${IN}: no example between the example-begin/-end markers")
endif()
string(LENGTH ".\\\" example-begin\n.Bd -literal\n" skip)
math(EXPR from "${begin} + ${skip}")
math(EXPR len "${end} - ${from}")
string(SUBSTRING "${page}" ${from} ${len} code)
# mdoc escapes: \e is a backslash, \& a zero-width guard.
string(REPLACE "\\e" "\\" code "${code}")
string(REPLACE "\\&" "" code "${code}")
file(WRITE ${OUT}.tmp "/* Extracted from ${IN}; do not edit. */\n${code}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
