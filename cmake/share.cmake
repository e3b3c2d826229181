# The files `duet` reads at run time, laid out as installed under
# <prefix>/share/duet and mirrored in the build tree (build/share/duet), so
# that duet finds them at <its directory>/../share/duet in both (the
# executable is build/bin/duet, with build/duet a link to it):
#   stdlib/         the standard library
#   emit/           what `duet emit-c` copies into its output, in the
#                   output's layout: runtime/ (the runtime's sources and
#                   headers, kp_math.h), host/ (the training host),
#                   portable/ (BLAS, LAPACK, gzip), train.c, predict.c
#   templates/      model.h.in, model_api.c.in, Makefile.in
#   emit.manifest   the files of emit/, one per line: the list emit-c copies
set(DUET_SHARE ${CMAKE_BINARY_DIR}/share/duet)
set(src ${CMAKE_SOURCE_DIR})
set(deploy ${src}/runtime/deploy)

file(GLOB_RECURSE stdlib_files CONFIGURE_DEPENDS RELATIVE ${src}/stdlib ${src}/stdlib/*.duet)
file(GLOB runtime_files CONFIGURE_DEPENDS RELATIVE ${src}/runtime ${src}/runtime/*.c
     ${src}/runtime/*.h)
file(GLOB host_files CONFIGURE_DEPENDS RELATIVE ${src}/host ${src}/host/*.c ${src}/host/*.h)
file(GLOB_RECURSE portable_files CONFIGURE_DEPENDS RELATIVE ${deploy}/portable
     ${deploy}/portable/*)

# Each entry: <source file>|<path under share/duet>.
set(entries)
foreach(f ${stdlib_files})
  list(APPEND entries "${src}/stdlib/${f}|stdlib/${f}")
endforeach()
set(emit)
foreach(f ${runtime_files})
  list(APPEND emit "${src}/runtime/${f}|runtime/${f}")
endforeach()
list(APPEND emit "${src}/compiler/lower/kp_math.h|runtime/kp_math.h")
foreach(f ${host_files})
  list(APPEND emit "${src}/host/${f}|host/${f}")
endforeach()
foreach(f ${portable_files})
  list(APPEND emit "${deploy}/portable/${f}|portable/${f}")
endforeach()
list(APPEND emit "${deploy}/train.c|train.c" "${deploy}/predict.c|predict.c")
set(manifest "")
foreach(e ${emit})
  string(REPLACE "|" ";" pair "${e}")
  list(GET pair 1 rel)
  string(APPEND manifest "${rel}\n")
  list(APPEND entries "${e}")
endforeach()
foreach(t model.h.in model_api.c.in Makefile.in)
  list(APPEND entries "${deploy}/${t}|templates/${t}")
endforeach()

set(outputs)
foreach(e ${entries})
  string(REPLACE "|" ";" pair "${e}")
  list(GET pair 0 from)
  list(GET pair 1 rel)
  if(rel MATCHES "^(runtime|host|portable|train\\.c|predict\\.c)")
    set(rel "emit/${rel}")
  endif()
  add_custom_command(OUTPUT ${DUET_SHARE}/${rel}
                     COMMAND ${CMAKE_COMMAND} -E copy_if_different ${from} ${DUET_SHARE}/${rel}
                     DEPENDS ${from} VERBATIM)
  list(APPEND outputs ${DUET_SHARE}/${rel})
endforeach()
file(CONFIGURE OUTPUT ${DUET_SHARE}/emit.manifest CONTENT "${manifest}")
add_custom_target(duet_share ALL DEPENDS ${outputs})

install(DIRECTORY ${DUET_SHARE}/ DESTINATION share/duet)
