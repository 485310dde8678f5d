#!/bin/bash
# Stops the processes that start.sh recorded in STATE/pids and nothing else.
#
# Usage: stop.sh [--state DIR]     (default /tmp/mailpin-demo)
#
# Dovecot backends are stopped with "doveadm -c STATE/dovecot/beN.conf stop". Roundcube's
# php -S servers and the gateway get SIGTERM to their process group. Each process has
# 15 s to exit before it gets SIGKILL. Mail, databases, secrets and logs stay in STATE,
# so a later start.sh reuses them (start.sh --reset deletes them).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLES_DIR=$(dirname "$SCRIPT_DIR")
LOG_PREFIX=stop.sh
# shellcheck source=../common.sh
source "$EXAMPLES_DIR/common.sh"

STATE=/tmp/mailpin-demo
while (($# > 0)); do
    case "$1" in
        --state)
            [[ $# -ge 2 && -n "$2" ]] || fail "--state needs a folder"
            STATE=$2
            shift 2
            ;;
        -h | --help)
            sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) fail "unknown option '$1'; run $0 --help" ;;
    esac
done
STATE=$(absolute_path "$STATE")

[[ -d "$STATE" ]] || fail "state folder $STATE does not exist"
require_root

if stop_recorded_processes "$STATE" "$STATE/dovecot"; then
    log "the demo in $STATE is stopped. Logs stay in $STATE/logs."
else
    fail "some processes did not stop; see the warnings above. $STATE/pids is kept."
fi
