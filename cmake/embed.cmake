# Writes OUT, a C++ source defining `const char flowctl::data::VAR[]` with
# the bytes of IN: data files (price tables, word lists) compiled into the
# binary, so that it needs no files beside it. Run by flowctl_embed().
file(READ "${IN}" content)
file(WRITE "${OUT}"
  "// Generated from ${IN} by cmake/embed.cmake; edit the data file.\n"
  "namespace flowctl::data {\n"
  "extern const char ${VAR}[];\n"
  "const char ${VAR}[] = R\"flowctl_embed(${content})flowctl_embed\";\n"
  "}  // namespace flowctl::data\n")
