# cmake -DDUET=<duet executable> -DSHELL=bash|zsh -DOUT=<file> -P completion.cmake
# Writes the completion script `duet completion SHELL` prints into OUT.
execute_process(COMMAND ${DUET} completion ${SHELL} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "duet completion ${SHELL} failed: ${rc}")
endif()
