# Compiles handle_types.c: it must build as it is, and must fail, for a
# pointer of the wrong type, when agent.db's handle goes to a center.db
# function or the reverse. Run as
#   cmake -DCC=<compiler> -DSRC=<source dir> -P handle_types.cmake
set(base ${CC} -std=gnu11 -fsyntax-only -Werror=incompatible-pointer-types -I${SRC}/include
    ${SRC}/tests/compile/handle_types.c)
execute_process(COMMAND ${base} RESULT_VARIABLE rc ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "handle_types.c does not compile as it is:\n${out}")
endif()
foreach(wrong AGENT_TO_CENTER CENTER_TO_AGENT)
  execute_process(COMMAND ${base} -D${wrong} RESULT_VARIABLE rc ERROR_VARIABLE out)
  if(rc EQUAL 0 OR NOT out MATCHES "incompatible pointer type")
    message(FATAL_ERROR "${wrong}: the wrong database's handle was accepted:\n${out}")
  endif()
endforeach()
