# Writes a C++ source holding every storage/migrations/NNNN_name.sql file, so the binary can
# migrate a database from any working directory. Run by the build whenever a migration changes.
file(GLOB files "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(f ${files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" sql)
  string(APPEND body "    {\"${name}\", R\"sapo_sql(${sql})sapo_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from storage/migrations by storage/embed_migrations.cmake; do not edit.\n"
  "#include \"storage/migrations.hpp\"\n\n"
  "namespace sapo::storage {\n\n"
  "const std::vector<Migration>& embedded_migrations() {\n"
  "    static const std::vector<Migration> all{\n${body}    };\n"
  "    return all;\n}\n\n}  // namespace sapo::storage\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
