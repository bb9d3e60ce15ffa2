# Writes a C++ source holding every file matching GLOB under DIR (path relative to DIR and
# content), so the binary carries its shipped data (flows, templates) and works from any
# directory. Run by the build whenever one of the files changes.
#   -DDIR=... -DGLOB=*.json -DOUTPUT=... -DFUNCTION=shipped_flows
file(GLOB_RECURSE files RELATIVE "${DIR}" "${DIR}/${GLOB}")
list(SORT files)
set(body "")
foreach(f ${files})
  file(READ "${DIR}/${f}" content)
  string(APPEND body "        {\"${f}\", R\"sapo_file(${content})sapo_file\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${DIR} by cmake/embed_files.cmake; do not edit.\n"
  "#include \"bot/assets.hpp\"\n\n"
  "namespace sapo::assets {\n\n"
  "const std::vector<File>& ${FUNCTION}() {\n"
  "    static const std::vector<File> all{\n${body}    };\n"
  "    return all;\n}\n\n}  // namespace sapo::assets\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
