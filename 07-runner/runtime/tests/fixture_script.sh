#!/bin/sh
# fixture_script.sh — a #! native worker for the runtime tests (07-runner/runtime).
echo "script $*"
