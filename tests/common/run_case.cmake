# run_case.cmake: runs `duet check` (or a test tool with the same command
# line) on one input and compares its exit code, stdout and stderr with the
# expected ones, byte for byte. Registered by duet_check_case (CMakeLists.txt).
#   cmake -DDUET=<duet> -DDIR=<working dir> -DINPUT=<file, relative to DIR>
#         [-DARGS=<extra args, ;-separated>] -DRC=<exit code>
#         [-DOUT=<expected stdout file>] [-DERR=<expected stderr file>]
#         [-DUPDATE=1] -P run_case.cmake
# OUT/ERR (absolute or relative to DIR) not given: that stream must be
# empty. With -DUPDATE=1, or DUET_UPDATE_EXPECTED=1 in the environment, the
# expected files are rewritten from the actual output instead (how goldens
# are regenerated: see regen.sh).
if("$ENV{DUET_UPDATE_EXPECTED}" STREQUAL "1")
  set(UPDATE 1)
endif()
foreach(v DUET DIR INPUT RC)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_case.cmake: ${v} is not set")
  endif()
endforeach()

execute_process(COMMAND ${DUET} check ${INPUT} ${ARGS}
  WORKING_DIRECTORY ${DIR}
  OUTPUT_VARIABLE got_out ERROR_VARIABLE got_err RESULT_VARIABLE got_rc)

set(failed FALSE)
if(NOT "${got_rc}" STREQUAL "${RC}")
  message("FAIL ${INPUT}: exit code: expected ${RC}, got ${got_rc}")
  set(failed TRUE)
endif()

function(compare what expected_file got)
  if(expected_file)
    if(NOT IS_ABSOLUTE ${expected_file})
      set(expected_file ${DIR}/${expected_file})
    endif()
    if(UPDATE)
      file(WRITE ${expected_file} "${got}")
      return()
    endif()
    file(READ ${expected_file} want)
  else()
    set(want "")
  endif()
  if(NOT "${got}" STREQUAL "${want}")
    message("FAIL ${INPUT}: ${what} differs\n--- expected ---\n${want}--- got ---\n${got}--- end ---")
    set(failed TRUE PARENT_SCOPE)
  endif()
endfunction()

compare(stdout "${OUT}" "${got_out}")
compare(stderr "${ERR}" "${got_err}")

if(failed)
  message(FATAL_ERROR "${INPUT}: mismatch")
endif()
message("ok ${INPUT}: exit ${got_rc}, stdout and stderr as expected")
