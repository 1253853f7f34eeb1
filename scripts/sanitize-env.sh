# Runtime options of the sanitizer builds (SANITIZE=... scripts/build.sh, scripts/fuzz.sh).
# Source it before running tests: child processes (farrier, natskit, the samples started by the
# integration tests) inherit these, and the integration harness fails a test whose farrier
# printed a report (tests/integration/harness.cc, SanitizerReport). Values already set win.
#   ASan: stop at the first error (its default; spelled out). LSan: leak check at exit, on.
#   UBSan: the build has -fno-sanitize-recover, so the first finding stops the process; print
#   the stack. TSan: stop at the first race, with both stacks of a lock-order inversion, and no
#   1 s sleep before exit (atexit_sleep_ms, default 1000): it is not farrier's time, and
#   Shutdown.SigtermDuringAHungPollExitsWithinOneSecond measures exactly that exit.
#   Every runtime: llvm-14's symbolizer (scripts/deps.sh --clang installs it; it need not exist
#   yet when this is sourced). Reports need it for function names, and so do the suppressions
#   that name functions (tests/tsan.supp): without it they silently match nothing.
_sanitize_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_symbolizer=external_symbolizer_path=/usr/lib/llvm-14/bin/llvm-symbolizer
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_init_order=1:check_initialization_order=1:$_symbolizer}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$_sanitize_root/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:$_symbolizer}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:atexit_sleep_ms=0:suppressions=$_sanitize_root/tests/tsan.supp:$_symbolizer}
unset _sanitize_root _symbolizer
