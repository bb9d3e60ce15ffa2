# Writes a C++ source that returns the contents of one file (the chat page), so the binary serves
# it from anywhere without a build step for the page itself.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by bot/emulator/embed_file.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace sapo::emulator {\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "    static constexpr std::string_view content = R\"sapo_file(${content})sapo_file\";\n"
  "    return content;\n}\n\n}  // namespace sapo::emulator\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
