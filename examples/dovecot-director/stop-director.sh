#!/bin/bash
# Stops the director that start-director.sh recorded in STATE/pids.
#
# Usage: stop-director.sh [--state DIR]     (default /tmp/mailpin-director)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLES_DIR=$(dirname "$SCRIPT_DIR")
LOG_PREFIX=stop-director.sh
# shellcheck source=../common.sh
source "$EXAMPLES_DIR/common.sh"

STATE=/tmp/mailpin-director
while (($# > 0)); do
    case "$1" in
        --state)
            [[ $# -ge 2 && -n "$2" ]] || fail "--state needs a folder"
            STATE=$2
            shift 2
            ;;
        -h | --help)
            sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) fail "unknown option '$1'; run $0 --help" ;;
    esac
done
STATE=$(absolute_path "$STATE")

[[ -d "$STATE" ]] || fail "state folder $STATE does not exist"
require_root

# The director's config is STATE/director.conf, matching the name "director" in STATE/pids.
if stop_recorded_processes "$STATE" "$STATE"; then
    log "the director in $STATE is stopped. Its log stays in $STATE/director.log."
else
    fail "the director did not stop; see the warnings above. $STATE/pids is kept."
fi
